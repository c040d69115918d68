import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../infra/needs.js';
import { call, RUN, removeDir, SECRET, startServer, token, type Reply, type Server } from './harness.js';
import { startRelay, type Relay } from './relay.js';
import { openLive, refusedUpgrade } from './realtime-socket.js';

// Rate limits and load shedding (docs/limits.md) on the real process, with tiny settings so
// that a test reaches them: 429 naming the limit with Retry-After, per user and per address;
// 503 Overloaded with Retry-After past the bound of writes in flight, with the node's count
// of writes (and of appends waiting for the log) never above that bound, and recovery.
const metric = async (s: Server, name: string): Promise<number> => {
  const text = (await call(s, 'GET', '/metrics')).text;
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (m?.[1] === undefined) throw new Error(`no ${name} in /metrics`);
  return Number(m[1]);
};
const rssMb = (pid: number): number =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN) / 1024;
const codeOf = (r: Reply): unknown => (r.body as { code?: unknown }).code;

describe('rate limits', () => {
  let s: Server;
  let alice: string;
  beforeAll(async () => {
    s = await startServer({
      env: {
        MSGXC_RATE_USER_WRITES: '0.5:3',
        MSGXC_RATE_USER_READS: '0.5:4',
        MSGXC_RATE_IP: '0.2:3',
        MSGXC_LOG_LEVEL: 'warn',
      },
    });
    alice = await token('alice');
  });
  afterAll(async () => {
    await s.stop();
    removeDir(s.dataDir);
  });

  it("a user's commands past the burst: 429 naming the limit with Retry-After; reads, other users and admins go on", async () => {
    const create = (n: number) => call(s, 'POST', '/api/v2/threads', { token: alice, body: { tid: `rl-${RUN}-${n}` } });
    const statuses = [];
    for (let n = 0; n < 4; n += 1) statuses.push(await create(n));
    expect(statuses.slice(0, 3).map((r) => r.status)).toEqual([201, 201, 201]);
    const refused = statuses[3] as Reply;
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      code: 'RateLimited',
      msg: expect.stringMatching(
        /^rate limit user-writes exceeded: 0\.5 per second, burst 3 \(MSGXC_RATE_USER_WRITES\); retry after [12] s$/,
      ) as unknown,
    });
    expect(refused.headers.get('retry-after')).toMatch(/^[12]$/);
    // Refused before it ran: the fourth thread does not exist.
    expect((await call(s, 'GET', `/api/v2/threads/rl-${RUN}-3`, { token: alice })).status).toBe(404);
    // Reads have their own budget; another user and an admin have theirs (admins: none by default).
    expect((await call(s, 'GET', '/api/v2/inbox', { token: alice })).status).toBe(200);
    expect((await create(99)).status).toBe(429);
    const bob = await token('bob');
    expect((await call(s, 'POST', '/api/v2/threads', { token: bob, body: { tid: `rl-${RUN}-bob` } })).status).toBe(201);
    const admin = await token('root', ['admin']);
    for (let i = 0; i < 10; i += 1)
      expect(
        (await call(s, 'POST', '/api/v2/send', { token: admin, body: { uid: 'alice', msg: `m${i}` } })).status,
      ).toBe(200);
    // As told: after Retry-After the bucket holds a token again.
    await new Promise((r) => setTimeout(r, 1000 * Number(refused.headers.get('retry-after'))));
    expect((await create(4)).status).toBe(201);
  });

  it("a user's reads past the burst: 429 naming user-reads", async () => {
    const carol = await token('carol');
    const replies = [];
    for (let i = 0; i < 5; i += 1) replies.push(await call(s, 'GET', '/api/v2/inbox', { token: carol }));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 429]);
    expect(codeOf(replies[4] as Reply)).toBe('RateLimited');
    expect((replies[4] as Reply).text).toMatch(/user-reads .*MSGXC_RATE_USER_READS/);
  });

  it("command frames spend the user's write budget: an error frame with retryAfter, the session stays open", async () => {
    const dave = await token('dave');
    const ws = await openLive(s, dave);
    for (let i = 0; i < 5; i += 1)
      ws.send({ type: 'ack', mids: ['0190a0a0-0000-7000-8000-000000000000'], id: `a${i}` });
    const refused = await ws.next((f) => f.type === 'error' && f['id'] === 'a3');
    expect(refused).toMatchObject({ code: 'RateLimited', retryAfter: expect.any(Number) as unknown });
    expect(String(refused['msg'])).toMatch(/user-writes/);
    // A refused frame has no effect: a subscribe refused leaves the thread without the subscriber.
    const root = await token('root', ['admin']);
    const tid = `rl-${RUN}-open`;
    expect((await call(s, 'POST', '/api/v2/threads', { token: root, body: { tid, opens: true } })).status).toBe(201);
    ws.send({ type: 'subscribe', tid, id: 's1' });
    expect(await ws.next((f) => f['id'] === 's1')).toMatchObject({ type: 'error', code: 'RateLimited' });
    expect((await call(s, 'GET', `/api/v2/threads/${tid}`, { token: root })).body).toMatchObject({ subscribers: 0 });
    // The same budget over HTTP: spent.
    expect((await call(s, 'POST', '/api/v2/ack', { token: dave, body: { mids: ['x'], status: 'seen' } })).status).toBe(
      429,
    );
    ws.send({ type: 'ping', id: 'p' });
    await ws.next((f) => f.type === 'pong' && f['id'] === 'p');
    await ws.close();
  });

  it('failed authentications spend the address budget: then 429 before any token is looked at, HTTP and websocket', async () => {
    const forged = await token('mallory', [], { secret: `${SECRET}-not` });
    const replies = [];
    for (let i = 0; i < 4; i += 1) replies.push(await call(s, 'GET', '/api/v2/inbox', { token: forged }));
    expect(replies.map((r) => r.status)).toEqual([401, 401, 401, 429]);
    expect((replies[3] as Reply).text).toMatch(/rate limit ip exceeded.*MSGXC_RATE_IP/);
    expect(Number((replies[3] as Reply).headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // The whole address now, a valid token too, and upgrades; public routes are never limited.
    expect((await call(s, 'GET', '/api/v2/inbox', { token: await token('erin') })).status).toBe(429);
    expect(await refusedUpgrade(s, { query: `?token=${forged}` })).toMatchObject({
      status: 429,
      body: { code: 'RateLimited' },
    });
    for (const path of ['/api/v2/ping', '/healthz', '/readyz', '/metrics', '/api/v2/openapi.json'])
      expect((await call(s, 'GET', path)).status, path).toBe(200);
  });
});

describe('load shedding past MSGXC_SHED_QUEUE', () => {
  let s: Server;
  beforeAll(async () => {
    s = await startServer({ env: { MSGXC_SHED_QUEUE: '4', MSGXC_REACTORS: 'false', MSGXC_LOG_LEVEL: 'warn' } });
  });
  afterAll(async () => {
    await s.stop();
    removeDir(s.dataDir);
  });

  it('answers 503 Overloaded with Retry-After instead of queueing, never holds more than the bound, and recovers', async () => {
    const admin = await token('root', ['admin']);
    const send = (i: number) =>
      call(s, 'POST', '/api/v2/send', { token: admin, body: { uid: 'zed', msg: `flood ${i}` } });
    // What one send writes to the log, measured on the log's head (a first send recognises the caller).
    expect((await send(-3)).status).toBe(200);
    const h0 = await metric(s, 'msgxc_log_head_position');
    expect((await send(-2)).status).toBe(200);
    const h1 = await metric(s, 'msgxc_log_head_position');
    const perSend = h1 - h0;
    expect(perSend).toBeGreaterThan(0);
    const rssBefore = rssMb(s.proc.pid ?? 0);
    const replies: Reply[] = [];
    // Waves of 200 concurrent sends, until the node has refused some (it can take none, one
    // wave on a fast machine is usually enough).
    for (let wave = 0; wave < 20 && !replies.some((r) => r.status === 503); wave += 1)
      replies.push(...(await Promise.all(Array.from({ length: 200 }, (_, i) => send(wave * 200 + i)))));
    const shed = replies.filter((r) => r.status === 503);
    expect(shed.length).toBeGreaterThan(0);
    expect(new Set(replies.map((r) => r.status))).toEqual(new Set([200, 503]));
    expect(shed[0]?.body).toEqual({
      code: 'Overloaded',
      msg: expect.stringMatching(/^the node has \d+ writes in flight \(MSGXC_SHED_QUEUE=4\); retry$/) as unknown,
    });
    expect(shed.every((r) => r.headers.get('retry-after') === '1')).toBe(true);
    // What the node held for its callers, and what waited for the log, never passed the bound.
    expect(await metric(s, 'msgxc_writes_in_flight_peak')).toBeLessThanOrEqual(4);
    expect(await metric(s, 'msgxc_log_appends_in_flight_peak')).toBeLessThanOrEqual(4);
    expect(await metric(s, 'msgxc_writes_in_flight')).toBe(0);
    expect(rssMb(s.proc.pid ?? 0) - rssBefore).toBeLessThan(150);
    // Every send answered 200 is in the log, and nothing of a refused one: the log grew by
    // exactly the admitted sends. Then the node takes sends again.
    const admitted = replies.filter((r) => r.status === 200).map((r) => r.headers.get('x-message-id') ?? '');
    expect((await metric(s, 'msgxc_log_head_position')) - h1).toBe(perSend * admitted.length);
    for (const mid of admitted.slice(0, 50)) {
      const events = (await call(s, 'GET', `/api/v2/streams/message-${mid}`, { token: admin })).body as {
        events: { type: string }[];
      };
      expect(events.events[0]?.type).toBe('MessagePublished');
    }
    expect((await send(-1)).status).toBe(200);
    const text = (await call(s, 'GET', '/metrics')).text;
    expect(text).toMatch(/^msgxc_shed_total\{reason="queue"\} [1-9]/m);
  });
});

needs('MSGXC_TEST_NATS_URL', 'nats-server', (natsUrl) => {
  describe('load shedding while the log does not answer (JetStream behind a relay)', () => {
    let relay: Relay;
    let s: Server;
    beforeAll(async () => {
      relay = await startRelay(natsUrl);
      s = await startServer({
        env: {
          MSGXC_EVENTSTORE: `nats://127.0.0.1:${String(relay.port)}?stream=SHED_${RUN}&prefix=shed${RUN}&timeout=2000`,
          MSGXC_BUS: 'inprocess',
          MSGXC_SHED_QUEUE: '3',
          MSGXC_REACTORS: 'false',
          MSGXC_LOG_LEVEL: 'error',
        },
      });
    });
    afterAll(async () => {
      await s.stop();
      await relay.close();
      removeDir(s.dataDir);
    });

    it('appends waiting for the log fill the bound: further commands are refused at once, reads served, then it recovers', async () => {
      const admin = await token('root', ['admin']);
      const send = (msg: string) => call(s, 'POST', '/api/v2/send', { token: admin, body: { uid: 'yan', msg } });
      expect((await send('before')).status).toBe(200);
      relay.block();
      const stuck = [send('stuck 1'), send('stuck 2'), send('stuck 3')];
      // Evidence, not time: the node counts three appends waiting for the log.
      for (const end = Date.now() + 10_000; (await metric(s, 'msgxc_log_appends_in_flight')) < 3; ) {
        if (Date.now() > end) throw new Error('the three sends never reached the log');
        await new Promise((r) => setTimeout(r, 20));
      }
      const refused = await send('refused');
      expect(refused.status).toBe(503);
      expect(refused.body).toMatchObject({ code: 'Overloaded' });
      expect(refused.headers.get('retry-after')).toBe('1');
      expect((await call(s, 'GET', '/healthz')).status).toBe(200);
      relay.unblock();
      // The stuck ones end one way or the other (503 FailedToAppend if their budget ran out),
      // never 500; then sends go through again.
      for (const r of await Promise.all(stuck)) expect([200, 503]).toContain(r.status);
      let after = await send('after');
      for (const end = Date.now() + 30_000; after.status !== 200 && Date.now() < end; ) {
        await new Promise((r) => setTimeout(r, 1000 * Number(after.headers.get('retry-after') ?? '1')));
        after = await send('after');
      }
      expect(after.status, after.text).toBe(200);
    });
  });
});
