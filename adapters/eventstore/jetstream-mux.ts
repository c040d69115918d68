import { randomBytes } from 'node:crypto';
import type { MsgHdrs, NatsConnection, Subscription } from 'nats';

// Request/reply over one wildcard inbox subscription, as the client's own `request` does,
// but without its per-request costs: nats.js 2.x builds a NatsError (stack trace and all)
// for every request it completes, and arms one timer per request. Catch-up reads issue
// thousands of requests a second; here a reply is a map lookup and one sweep timer serves
// every deadline.

/** No reply within the deadline: the request may or may not have been acted on. */
export class RequestTimedOut extends Error {
  constructor(readonly subject: string) {
    super(`no reply to ${subject} in time`);
  }
}
/** Nobody listens on the subject (e.g. a stream without a leader yet): nothing was done. */
export class NoResponders extends Error {
  constructor(readonly subject: string) {
    super(`no responders on ${subject}`);
  }
}

export interface Reply {
  readonly data: Uint8Array;
}

export interface Requester {
  request(subject: string, data: Uint8Array, headers?: MsgHdrs): Promise<Reply>;
  close(): void;
}

interface Pending {
  readonly subject: string;
  readonly deadline: number;
  resolve(r: Reply): void;
  reject(e: Error): void;
}

export const createRequester = (nc: NatsConnection, timeoutMs: number): Requester => {
  const prefix = `_INBOX.msgxc-es.${randomBytes(8).toString('hex')}`;
  const pending = new Map<string, Pending>();
  let next = 0;

  const sub: Subscription = nc.subscribe(`${prefix}.*`, {
    callback: (_err, m) => {
      const token = m.subject.slice(prefix.length + 1);
      const p = pending.get(token);
      if (p === undefined) return;
      pending.delete(token);
      // The server's "no responders" answer is an empty message with status 503.
      if (m.data.length === 0 && m.headers?.code === 503) p.reject(new NoResponders(p.subject));
      else p.resolve(m);
    },
  });

  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const [token, p] of pending) {
        if (p.deadline > now) continue;
        pending.delete(token);
        p.reject(new RequestTimedOut(p.subject));
      }
    },
    Math.max(10, Math.min(100, Math.floor(timeoutMs / 10))),
  );
  sweep.unref();

  return {
    request: (subject, data, headers) =>
      new Promise<Reply>((resolve, reject) => {
        const token = (next++).toString(36);
        pending.set(token, { subject, deadline: Date.now() + timeoutMs, resolve, reject });
        try {
          nc.publish(
            subject,
            data,
            headers === undefined ? { reply: `${prefix}.${token}` } : { reply: `${prefix}.${token}`, headers },
          );
        } catch (e) {
          pending.delete(token);
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      }),
    close: () => {
      clearInterval(sweep);
      sub.unsubscribe();
      for (const p of pending.values())
        p.reject(new Error(`request to ${p.subject} abandoned: the event store closed`));
      pending.clear();
    },
  };
};
