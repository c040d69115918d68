import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, token, type Server } from './harness.js';
import { openLive, wsUrl } from './realtime-socket.js';

// Session limits on a real server process with small limits: a flooding client and a client
// that stops reading are closed with their own close codes; an oversized frame is refused.
let server: Server;
let admin: string;

/** The server's msgxc_ws_closed_total for one close code (0 before the first). */
const closedWith = async (code: number): Promise<number> => {
  const text = (await call(server, 'GET', '/metrics')).text;
  const line = text
    .split('\n')
    .find((l) => l.startsWith('msgxc_ws_closed_total{') && l.includes(`code="${String(code)}"`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
};
const until = async (ok: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

beforeAll(async () => {
  server = await startServer({
    env: {
      MSGXC_LOG_LEVEL: 'warn',
      MSGXC_WS_MAX_FRAMES_PER_SEC: '5',
      MSGXC_WS_MAX_BYTES_PER_SEC: '4096',
      MSGXC_WS_MAX_PAYLOAD: '8192',
      MSGXC_WS_MAX_BACKPRESSURE: '65536',
      MSGXC_WS_MAX_SESSIONS_PER_USER: '3',
      MSGXC_BODY_LIMIT: '1048576',
    },
  });
  admin = await token('admin', ['admin']);
});
afterAll(async () => {
  await server.stop();
  removeDir(server.dataDir);
});

describe('flood control', () => {
  it('closes a client sending too many frames per second with 4029', async () => {
    const s = await openLive(server, await token('flo'));
    for (let i = 0; i < 30; i += 1) s.send({ type: 'ping', id: i });
    expect(await s.closed).toEqual({ code: 4029, reason: 'flood: too many frames per second' });
    // It answered the frames within its burst before closing.
    expect(s.ofType('pong').length).toBeGreaterThanOrEqual(5);
  });

  // uWS answers each ping with a pong by itself: control frames must spend from the same budget,
  // or a client sending nothing but pings keeps the server writing pongs at the network's speed.
  it('closes a client sending too many pings (control frames) or pongs per second with 4029', async () => {
    const t = await token('flo');
    for (const send of ['ping', 'pong'] as const) {
      const ws = new WebSocket(wsUrl(server), { headers: { authorization: `Bearer ${t}` } });
      const closed = new Promise<{ code: number; reason: string }>((resolve) => {
        ws.on('close', (code, reason) => {
          resolve({ code, reason: reason.toString() });
        });
      });
      await new Promise<void>((resolve, reject) => {
        ws.on('open', () => {
          resolve();
        });
        ws.on('error', reject);
      });
      for (let i = 0; i < 30; i += 1) ws[send](Buffer.from(String(i)));
      expect(await closed).toEqual({ code: 4029, reason: 'flood: too many frames per second' });
    }
  });

  it('closes a client sending too many bytes per second with 4029', async () => {
    const s = await openLive(server, await token('flo'));
    const padding = 'x'.repeat(3000);
    for (let i = 0; i < 4; i += 1) s.send({ type: 'ping', id: i, padding });
    expect(await s.closed).toEqual({ code: 4029, reason: 'flood: too many bytes per second' });
  });

  it('refuses a frame over the payload limit by closing the session', async () => {
    const s = await openLive(server, await token('flo'));
    s.sendRaw(JSON.stringify({ type: 'ping', padding: 'x'.repeat(10_000) }));
    expect((await s.closed).code).toBe(1009);
  });

  it('refuses more sessions per user than the limit with 429 at the upgrade', async () => {
    const t = await token('many');
    const open = [await openLive(server, t), await openLive(server, t), await openLive(server, t)];
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(wsUrl(server), { headers: { authorization: `Bearer ${t}` } });
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
      });
      ws.once('open', () => {
        resolve(101);
        ws.close();
      });
    });
    expect(refused).toBe(429);
    await Promise.all(open.map((s) => s.close()));
  });
});

describe('backpressure', () => {
  it('closes a client that stops reading with 4030 once its unsent backlog passes the limit; what it got came in order, without gaps', async () => {
    const t = await token('slow');
    const ws = new WebSocket(wsUrl(server), { headers: { authorization: `Bearer ${t}` } });
    const frames: { type: string; mid?: string }[] = [];
    let live = (): void => undefined;
    const isLive = new Promise<void>((resolve) => {
      live = resolve;
    });
    ws.on('message', (d: Buffer) => {
      const f = JSON.parse(d.toString('utf8')) as { type: string; mid?: string };
      frames.push({ type: f.type, ...(f.mid === undefined ? {} : { mid: f.mid }) });
      if (f.type === 'unseen') live();
    });
    const closed = new Promise<number>((resolve) => {
      ws.on('close', (code) => {
        resolve(code);
      });
    });
    await isLive;
    // Stop reading: the kernel buffers fill, then the server's send buffer for this socket.
    const raw = (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    raw.pause();
    const closedBefore = await closedWith(4030);
    // The longest message there is (65,536 characters), often enough to outgrow the kernel's buffers.
    const big = 'y'.repeat(65_536);
    const sent: string[] = [];
    // Sends until the server's own count of sessions it closed as slow consumers rises: the
    // evidence that the close happened, while this client still reads nothing. It then reads
    // at once: a closing socket whose peer never reads is dropped by uWS after a while (1006,
    // seen when this loop went on sending for seconds after the close under load).
    const closedNow = async (): Promise<boolean> => (await closedWith(4030)) > closedBefore;
    for (let i = 0; i < 240; i += 1) {
      const r = await call(server, 'POST', '/api/v2/send', { token: admin, body: { uid: 'slow', msg: big } });
      expect(r.status).toBe(200);
      sent.push(r.headers.get('x-message-id') ?? '');
      if (await closedNow()) break;
    }
    await until(closedNow, 'the server to close the slow session (msgxc_ws_closed_total{code="4030"})');
    // One more after the close: stored (200) but not sent on the closed session.
    const after = await call(server, 'POST', '/api/v2/send', { token: admin, body: { uid: 'slow', msg: big } });
    expect(after.status).toBe(200);
    sent.push(after.headers.get('x-message-id') ?? '');
    raw.resume();
    expect(await closed).toBe(4030);
    // What it did receive is exactly the first messages sent, in the order sent: no gap, no
    // reordering, no duplicate; and not all of them (it was cut off).
    const got = frames.filter((f) => f.type === 'message').map((f) => f.mid);
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(sent.length);
    expect(got).toEqual(sent.slice(0, got.length));
  });
});
