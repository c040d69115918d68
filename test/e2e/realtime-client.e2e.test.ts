import { createServer } from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type MsgxcClient, type Status, type WebSocketLike } from '../../web/client/client.js';
import type { MessageFrame } from '../../schema/frames.js';
import { call, removeDir, startServer, tempDir, token, type Server } from './harness.js';

// The client library in Node (with the `ws` package) against a real server process: helpers,
// callbacks, and a reconnect across a server restart that loses and doubles nothing.
let server: Server;
let admin: string;
const dataDir = tempDir();
const clients: MsgxcClient[] = [];

const nodeSocket = (url: string, tok: string): WebSocketLike =>
  new WebSocket(url, { headers: { authorization: `Bearer ${tok}` } }) as unknown as WebSocketLike;
const until = async (ok: () => boolean, what: string, ms = 15_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
const send = async (uid: string, msg: string): Promise<string> => {
  const r = await call(server, 'POST', '/api/v2/send', { token: admin, body: { uid, msg } });
  expect(r.status, r.text).toBe(200);
  return r.headers.get('x-message-id') ?? '';
};

// A port below the ephemeral range: a client retrying against a port in that range while no
// one listens can be handed that very port as its own source port (a TCP self-connect), and
// then the restarted server cannot bind it.
const lowPort = async (): Promise<number> => {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => {
        resolve(false);
      });
      srv.listen(port, '127.0.0.1', () => {
        srv.close(() => {
          resolve(true);
        });
      });
    });
    if (free) return port;
  }
};

beforeAll(async () => {
  server = await startServer({ dataDir, port: await lowPort(), env: { MSGXC_LOG_LEVEL: 'warn' } });
  admin = await token('admin', ['admin']);
});
afterAll(async () => {
  for (const c of clients) c.close();
  await server.stop();
  removeDir(dataDir);
});

describe('client library (Node, ws)', () => {
  it('delivers messages and state changes to callbacks, and its helpers get answers', async () => {
    const got: MessageFrame[] = [];
    const seen: string[][] = [];
    const t = await token('uma');
    // A session is live once its unseen snapshot arrived: a message sent before that is listed
    // there (onUnseen), not delivered as a live message (onMessage).
    let snapshots = 0;
    const c = connect({
      url: server.url,
      token: () => Promise.resolve(t),
      webSocket: nodeSocket,
      onMessage: (m) => got.push(m),
      onSeen: (mids) => seen.push(mids),
      onUnseen: () => {
        snapshots += 1;
      },
    });
    const other = connect({
      url: server.url,
      token: t,
      webSocket: nodeSocket,
      onUnseen: () => {
        snapshots += 1;
      },
    });
    clients.push(c, other);
    await until(() => snapshots === 2, 'both sessions to go live');
    const mid = await send('uma', 'for the library');
    await until(() => got.length === 1, 'the message');
    expect(got[0]).toMatchObject({ type: 'message', mid, msg: 'for the library' });
    expect(await c.ack([mid])).toMatchObject({ type: 'ok' });
    await other.seen([mid]);
    await until(() => seen.length === 1, 'the seen frame');
    expect(seen[0]).toEqual([mid]);
    expect((await c.history({ limit: 5 })).messages.map((m) => m.mid)).toEqual([mid]);
    expect(
      (await call(server, 'POST', '/api/v2/threads', { token: admin, body: { tid: 'closed-room', opens: false } }))
        .status,
    ).toBe(201);
    await expect(c.subscribe('closed-room')).rejects.toMatchObject({ code: expect.stringMatching(/./) as unknown });
    expect((await c.subscribe('closed-room').catch((e: unknown) => e)) instanceof Error).toBe(true);
    expect(c.lastMid).toBe(mid);
  });

  it('reconnects after the server restarts and resumes: every message once, in order', async () => {
    const got: string[] = [];
    const statuses: Status[] = [];
    let live = false;
    const t = await token('vic');
    const c = connect({
      url: server.url,
      token: t,
      webSocket: nodeSocket,
      backoff: { initialMs: 100, maxMs: 1000 },
      onMessage: (m) => got.push(m.mid),
      onStatus: (s) => statuses.push(s),
      onUnseen: () => {
        live = true;
      },
    });
    clients.push(c);
    await until(() => live, 'the session to go live');
    const before = [await send('vic', 'a'), await send('vic', 'b')];
    await until(() => got.length === 2, 'the first two messages');
    await server.stop();
    server = await startServer({ dataDir, port: server.port, env: { MSGXC_LOG_LEVEL: 'warn' } });
    const after = [await send('vic', 'c'), await send('vic', 'd'), await send('vic', 'e')];
    await until(() => got.length >= 5, 'the messages sent after the restart');
    await c.ping();
    expect(got).toEqual([...before, ...after]);
    expect(statuses).toContain('reconnecting');
    expect(c.state).toBe('open');
  });

  it('stops, without retrying, when a fixed token expires', async () => {
    const statuses: Status[] = [];
    const t = await token('wes', [], { exp: Math.floor(Date.now() / 1000) + 2 });
    const c = connect({ url: server.url, token: t, webSocket: nodeSocket, onStatus: (s) => statuses.push(s) });
    clients.push(c);
    await c.ping();
    await until(() => c.state === 'closed', 'the expiry', 10_000);
    expect(statuses).toEqual(['connecting', 'open', 'closed']);
  });
});
