import type { Callers } from './actors.js';
import { send, type Answer } from './http-client.js';

export interface StreamEvent {
  readonly type: string;
  readonly revision: number;
  readonly position: number;
  readonly data: Record<string, unknown>;
}

// Reads through the API as a given user, for the read-back oracle. A read the server marks
// stale (X-Stale: its projections had not caught up within its own wait) is read again until
// it is not, a bounded number of times: the oracle judges what a consistent read says.
export class Reader {
  constructor(
    private readonly port: number,
    private readonly callers: Callers,
  ) {}

  async as(uid: string, roles: string[], method: string, target: string, body?: unknown): Promise<Answer> {
    const token = await this.callers.tokenFor(uid, roles);
    const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const started = performance.now();
    const route = target.split('?')[0]?.split('/').slice(0, 4).join('/') ?? '';
    for (let attempt = 0; ; attempt += 1) {
      const o = await send(this.port, {
        method,
        target,
        headers,
        ...(body !== undefined ? { body: Buffer.from(JSON.stringify(body)) } : {}),
      });
      if ('unanswered' in o) throw new Error(`read-back ${method} ${target} as ${uid}: ${o.unanswered}`);
      if (o.answered.headers['x-stale'] !== 'true' || attempt >= 10) {
        this.timings.set(route, (this.timings.get(route) ?? 0) + performance.now() - started);
        return o.answered;
      }
    }
  }

  admin(target: string): Promise<Answer> {
    return this.as('fz-admin', ['admin'], 'GET', target);
  }

  private readonly streams = new Map<string, StreamEvent[]>();
  /** Milliseconds spent reading back, per route, for the report. */
  readonly timings = new Map<string, number>();

  /**
   * Every event of a stream (auditor), in order, following `next`. A stream only grows, so what
   * was read before is kept and only the events after it are asked for.
   */
  async stream(name: string): Promise<readonly StreamEvent[]> {
    const out = this.streams.get(name) ?? [];
    this.streams.set(name, out);
    let from = out.length;
    for (let page = 0; page < 50; page += 1) {
      const a = await this.as(
        'fz-auditor',
        ['auditor'],
        'GET',
        `/api/v2/streams/${encodeURIComponent(name)}?from=${from}&limit=1000`,
      );
      if (a.status !== 200) throw new Error(`read-back of stream ${name}: ${a.status} ${a.text.slice(0, 200)}`);
      const body = a.json as { events: StreamEvent[]; next: number | null };
      if (body.events.some((e, i) => e.revision !== from + i))
        throw new Error(
          `stream ${name} from ${from}: revisions ${body.events.map((e) => e.revision).join(',')} do not follow on`,
        );
      // Two read-backs of one stream may run at once (a burst): keep each revision once, in order.
      for (const e of body.events) if (e.revision === out.length) out.push(e);
      if (body.next === null) return out;
      from = body.next;
    }
    return out;
  }

  /**
   * A user's own stream with sealed fields opened (the subject-access export, as an admin): what
   * auditors read (`stream`) keeps personal fields sealed (docs/gdpr.md). None yet: empty.
   */
  async opened(uid: string): Promise<readonly StreamEvent[]> {
    const a = await this.admin(`/api/v2/users/${encodeURIComponent(uid)}/export`);
    if (a.status === 404) return [];
    if (a.status !== 200) throw new Error(`read-back of ${uid}'s export: ${a.status} ${a.text.slice(0, 200)}`);
    return (a.json as { events: StreamEvent[] }).events;
  }

  /** The user's whole inbox (newest first), following `next`, at most `pages` pages of 200. */
  async inbox(uid: string, roles: string[], pages = 25): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    let before: string | null = null;
    for (let page = 0; page < pages; page += 1) {
      const q: string = before === null ? '' : `&before=${encodeURIComponent(before)}`;
      const a = await this.as(uid, roles, 'GET', `/api/v2/inbox?limit=200${q}`);
      if (a.status !== 200) throw new Error(`read-back of ${uid}'s inbox: ${a.status} ${a.text.slice(0, 200)}`);
      const body = a.json as { messages: Record<string, unknown>[]; next: string | null };
      out.push(...body.messages);
      if (body.next === null) return out;
      before = body.next;
    }
    return out;
  }
}
