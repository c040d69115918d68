import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../infra/needs.js';
import { call, RUN, removeDir, startServer, token, type Server } from './harness.js';
import { startRelay, type Relay } from './relay.js';
import { openLive, wsUrl } from './realtime-socket.js';
import { allEvents } from './standin-env.js';

// What clients see when something breaks, on real server processes: the log unreachable
// (503 with Retry-After, never a 500; websocket setup closed with 1013), the bus connection
// cut (sessions closed with 1012 to resume), the node shutting down (1001), and a client
// that stops answering pings (reaped after MSGXC_WS_IDLE_TIMEOUT). The breaks are made with a
// TCP relay in front of the run's nats-server, so nothing else that uses it is disturbed.

const closedAfter = (ws: WebSocket): Promise<{ code: number; reason: string }> =>
  new Promise((resolve) => {
    ws.once('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
    });
  });

needs('MSGXC_TEST_NATS_URL', 'nats-server', (natsUrl) => {
  describe('the log unreachable (JetStream behind a relay)', () => {
    let relay: Relay;
    let s: Server;
    let admin: string;
    beforeAll(async () => {
      relay = await startRelay(natsUrl);
      s = await startServer({
        env: {
          MSGXC_EVENTSTORE: `nats://127.0.0.1:${String(relay.port)}?stream=DOWN_${RUN}&prefix=down${RUN}&timeout=500`,
          MSGXC_BUS: 'inprocess',
          MSGXC_LOG_LEVEL: 'warn',
        },
      });
      admin = await token('root', ['admin']);
    });
    afterAll(async () => {
      await s.stop();
      await relay.close();
      removeDir(s.dataDir);
    });

    it('answers writes 503 with Retry-After and closes new websockets with 1013 while it is away, never a 500; after it, the retry with the same Idempotency-Key stores the message once and sessions start', async () => {
      const send = (msg: string, key: string) =>
        call(s, 'POST', '/api/v2/send', {
          token: admin,
          body: { uid: 'bob', msg },
          headers: { 'idempotency-key': key },
        });
      expect((await send('before the outage', 'outage-0')).status).toBe(200);
      const t = await token('wendy');
      relay.block();
      // One outage for both: a write, and a session whose setup needs the log.
      const ws = new WebSocket(wsUrl(s), { headers: { authorization: `Bearer ${t}` } });
      const frames: string[] = [];
      ws.on('message', (d: Buffer) => frames.push(d.toString('utf8')));
      const [during, wsClosed] = await Promise.all([send('during the outage', 'outage-1'), closedAfter(ws)]);
      expect(during.status, during.text).toBe(503);
      expect(during.headers.get('retry-after')).toBe('1');
      expect(during.body).toMatchObject({ code: 'FailedToAppend' });
      expect(wsClosed).toEqual({ code: 1013, reason: 'session setup failed, retry' });
      expect(frames.some((f) => f.includes('"type":"unseen"'))).toBe(false);
      // The process itself is alive and says so.
      expect((await call(s, 'GET', '/healthz')).status).toBe(200);
      relay.unblock();
      // A client retrying as told: 503 until the broker has its connection back, then 200.
      let retried = during;
      for (const end = Date.now() + 60_000; retried.status !== 200 && Date.now() < end; ) {
        expect(retried.status, retried.text).toBe(503);
        await new Promise((r) => setTimeout(r, 1000));
        retried = await send('during the outage', 'outage-1');
      }
      expect(retried.status, retried.text).toBe(200);
      const bob = await token('bob');
      const inbox = await call(s, 'GET', '/api/v2/inbox', { token: bob });
      expect((inbox.body as { messages: { msg: string }[] }).messages.map((m) => m.msg)).toEqual([
        'during the outage',
        'before the outage',
      ]);
      // Stored once: one event with the retried message's id (a direct message's text is sealed
      // in the log as auditors read it, so by id, not by text).
      const mid = retried.headers.get('x-message-id');
      expect(mid).toBeTruthy();
      const published = await allEvents(s, admin, ['MessagePublished']);
      expect(published.filter((e) => e.data['mid'] === mid)).toHaveLength(1);
      // And the client that was sent away gets a live session now.
      const live = await openLive(s, t);
      await live.close();
    });
  });

  describe('the bus connection cut (NATS bus behind a relay)', () => {
    let relay: Relay;
    let s: Server;
    beforeAll(async () => {
      relay = await startRelay(natsUrl);
      s = await startServer({
        env: { MSGXC_BUS: 'nats', MSGXC_NATS_URL: `nats://127.0.0.1:${String(relay.port)}`, MSGXC_LOG_LEVEL: 'warn' },
      });
    });
    afterAll(async () => {
      await s.stop();
      await relay.close();
      removeDir(s.dataDir);
    });

    it('closes every session with 1012 once the node reconnects, and a resume then delivers what was sent meanwhile', async () => {
      const admin = await token('root', ['admin']);
      const t = await token('rita');
      const [a, b] = [await openLive(s, t), await openLive(s, t)];
      const first = await call(s, 'POST', '/api/v2/send', {
        token: admin,
        body: { uid: 'rita', msg: 'before the cut' },
      });
      const mid = first.headers.get('x-message-id') ?? '';
      await a.next((f) => f.type === 'message' && f.mid === mid);
      const before = relay.connections();
      relay.cut();
      for (const ws of [a, b]) expect(await ws.closed).toEqual({ code: 1012, reason: expect.any(String) as unknown });
      expect(relay.connections()).toBeGreaterThan(before); // the node reconnected to the bus
      const missed = await call(s, 'POST', '/api/v2/send', {
        token: admin,
        body: { uid: 'rita', msg: 'after the cut' },
      });
      const resumed = await openLive(s, t, { since: mid });
      expect(await resumed.next((f) => f.type === 'message')).toMatchObject({
        mid: missed.headers.get('x-message-id'),
        msg: 'after the cut',
      });
      await resumed.close();
    });
  });
});

describe('a node shutting down, and a client that stops answering', () => {
  let s: Server;
  beforeAll(async () => {
    s = await startServer({ env: { MSGXC_WS_IDLE_TIMEOUT: '8', MSGXC_LOG_LEVEL: 'warn' } });
  });
  afterAll(async () => {
    await s.stop();
    removeDir(s.dataDir);
  });

  it('reaps a session that stops answering pings after MSGXC_WS_IDLE_TIMEOUT, and keeps a quiet one that answers', async () => {
    const t = await token('ivy');
    const open = (autoPong: boolean): Promise<WebSocket> =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(wsUrl(s), { headers: { authorization: `Bearer ${t}` }, autoPong });
        ws.once('open', () => {
          resolve(ws);
        });
        ws.once('error', reject);
      });
    const [mute, quiet] = [await open(false), await open(true)];
    const pings: number[] = [];
    mute.on('ping', () => pings.push(Date.now()));
    const opened = Date.now();
    const stillOpen = closedAfter(quiet);
    const reaped = await closedAfter(mute);
    const after = Date.now() - opened;
    // uWS pings an idle socket, then drops it when no pong came back: no close frame (1006).
    expect(reaped.code).toBe(1006);
    expect(pings.length).toBeGreaterThan(0);
    // uWS checks timeouts on a 4 s tick: reaped within the timeout plus a tick, not at once.
    expect(after).toBeGreaterThanOrEqual(3_000);
    expect(after).toBeLessThan(20_000);
    // The quiet client that answered every ping is still there, and still served.
    expect(quiet.readyState).toBe(WebSocket.OPEN);
    const pong = new Promise<string>((resolve) => {
      quiet.on('message', (d: Buffer) => {
        const f = d.toString('utf8');
        if (f.includes('"pong"')) resolve(f);
      });
    });
    quiet.send(JSON.stringify({ type: 'ping', id: 'alive' }));
    expect(JSON.parse(await pong)).toEqual({ type: 'pong', id: 'alive' });
    quiet.close(1000);
    expect((await stillOpen).code).toBe(1000);
  });

  it('closes every session with 1001 (going away) when the node is stopped', async () => {
    const t = await token('gus');
    const [a, b] = [await openLive(s, t), await openLive(s, await token('hal'))];
    expect(await s.stop('SIGTERM')).toBe(0);
    for (const ws of [a, b]) expect(await ws.closed).toEqual({ code: 1001, reason: 'server shutting down' });
  });
});
