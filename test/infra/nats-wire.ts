// The NATS client protocol (INFO, CONNECT, SUB, PUB, MSG, PING/PONG) over a raw socket:
// enough for infrastructure tests and readiness checks without a client package.
import { connect } from 'node:net';
import type { Socket } from 'node:net';

export interface NatsMessage {
  readonly subject: string;
  readonly reply: string | undefined;
  readonly data: string;
}

export interface NatsWire {
  readonly info: Readonly<Record<string, unknown>>;
  subscribe(subject: string): { next(timeoutMs?: number): Promise<NatsMessage> };
  publish(subject: string, data: string, reply?: string): void;
  /** Round trip to the server: everything sent before it has been processed. */
  flush(): Promise<void>;
  request(subject: string, data: string, timeoutMs?: number): Promise<NatsMessage>;
  close(): void;
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${what}: no answer in ${ms} ms`));
    }, ms);
    p.then(resolve, reject).finally(() => {
      clearTimeout(timer);
    });
  });

// One queue per subscription: messages wait for a reader, or readers wait for messages.
const queue = () => {
  const messages: NatsMessage[] = [];
  const readers: ((m: NatsMessage) => void)[] = [];
  return {
    push: (m: NatsMessage) => {
      const reader = readers.shift();
      if (reader === undefined) messages.push(m);
      else reader(m);
    },
    next: (): Promise<NatsMessage> => {
      const m = messages.shift();
      return m === undefined ? new Promise((resolve) => readers.push(resolve)) : Promise.resolve(m);
    },
  };
};

const parse = (
  socket: Socket,
  onInfo: (info: Record<string, unknown>) => void,
  onMsg: (sid: string, m: NatsMessage) => void,
  onPong: () => void,
) => {
  let buf = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const eol = buf.indexOf('\r\n');
      if (eol < 0) return;
      const line = buf.subarray(0, eol).toString('utf8');
      const [op = '', ...args] = line.split(' ');
      if (op === 'MSG') {
        // MSG <subject> <sid> [reply-to] <#bytes>
        const size = Number(args[args.length - 1]);
        if (buf.length < eol + 2 + size + 2) return;
        const data = buf.subarray(eol + 2, eol + 2 + size).toString('utf8');
        onMsg(args[1] ?? '', { subject: args[0] ?? '', reply: args.length === 4 ? args[2] : undefined, data });
        buf = buf.subarray(eol + 2 + size + 2);
        continue;
      }
      buf = buf.subarray(eol + 2);
      if (op === 'INFO') onInfo(JSON.parse(line.slice(5)) as Record<string, unknown>);
      else if (op === 'PING') socket.write('PONG\r\n');
      else if (op === 'PONG') onPong();
      else if (op === '-ERR') socket.destroy(new Error(`NATS ${line}`));
    }
  });
};

export const connectNats = async (url: string, timeoutMs = 5_000): Promise<NatsWire> => {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port) });
  const subs = new Map<string, ReturnType<typeof queue>>();
  const pongs: (() => void)[] = [];
  let nextSid = 0;
  const info = await withTimeout(
    new Promise<Record<string, unknown>>((resolve, reject) => {
      socket.once('error', reject);
      parse(
        socket,
        resolve,
        (sid, m) => subs.get(sid)?.push(m),
        () => pongs.shift()?.(),
      );
    }),
    timeoutMs,
    `NATS INFO from ${url}`,
  );
  // Later socket errors surface as timeouts of whatever waits; without a listener they would crash the run.
  socket.on('error', () => undefined);
  socket.write(`CONNECT ${JSON.stringify({ verbose: false, pedantic: false, name: 'msgxc-infra' })}\r\n`);
  const wire: NatsWire = {
    info,
    subscribe: (subject) => {
      nextSid += 1;
      const q = queue();
      subs.set(String(nextSid), q);
      socket.write(`SUB ${subject} ${nextSid}\r\n`);
      return { next: (ms = timeoutMs) => withTimeout(q.next(), ms, `message on ${subject}`) };
    },
    publish: (subject, data, reply) => {
      const size = Buffer.byteLength(data);
      socket.write(`PUB ${subject}${reply === undefined ? '' : ` ${reply}`} ${size}\r\n${data}\r\n`);
    },
    flush: () => {
      const pong = new Promise<void>((resolve) => pongs.push(resolve));
      socket.write('PING\r\n');
      return withTimeout(pong, timeoutMs, 'NATS PONG');
    },
    request: async (subject, data, ms = timeoutMs) => {
      const inbox = `_INBOX.msgxc.${process.pid}.${nextSid + 1}`;
      const replies = wire.subscribe(inbox);
      await wire.flush();
      wire.publish(subject, data, inbox);
      return replies.next(ms);
    },
    close: () => {
      socket.destroy();
    },
  };
  await wire.flush(); // the server has accepted CONNECT
  return wire;
};
