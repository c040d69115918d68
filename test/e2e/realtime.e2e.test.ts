import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, nodeId, removeDir, startServer, token, type Server } from './harness.js';
import { openLive, openSocket, refusedUpgrade, type Frame, type TestSocket } from './realtime-socket.js';

// The websocket endpoint of a real server process: auth at the upgrade, frames, receipts
// across sessions, unseen on connect, resume without gap or duplicate, thread membership.
const NODE = nodeId('e2e-node');
let server: Server;
let admin: string;
const sockets: TestSocket[] = [];
const live = async (tok: string, opts: Parameters<typeof openLive>[2] = {}): Promise<TestSocket> => {
  const s = await openLive(server, tok, opts);
  sockets.push(s);
  return s;
};
const send = async (uid: string, msg: string): Promise<string> => {
  const r = await call(server, 'POST', '/api/v2/send', { token: admin, body: { uid, msg } });
  expect(r.status, r.text).toBe(200);
  return r.headers.get('x-message-id') ?? '';
};
const isMessage =
  (mid: string) =>
  (f: Frame): boolean =>
    f.type === 'message' && f.mid === mid;

beforeAll(async () => {
  server = await startServer({
    env: { MSGXC_LOG_LEVEL: 'warn', MSGXC_CHECKIN_INTERVAL_MS: '500', MSGXC_NODE_ID: NODE },
  });
  admin = await token('admin', ['admin']);
});
afterAll(async () => {
  await Promise.all(sockets.map((s) => s.close()));
  await server.stop();
  removeDir(server.dataDir);
});

describe('authentication at the upgrade', () => {
  it('refuses a missing, forged or expired token with 401 and a JSON error, before any websocket exists', async () => {
    const missing = await refusedUpgrade(server);
    expect(missing).toMatchObject({ status: 401, body: { code: 'Unauthorized' } });
    const forged = await token('mallory', [], { secret: 'another-secret-0123456789-0123456789-xx' });
    expect(await refusedUpgrade(server, { headers: { authorization: `Bearer ${forged}` } })).toMatchObject({
      status: 401,
      body: { code: 'Unauthorized', msg: /signature/ },
    });
    const expired = await token('alice', [], { exp: Math.floor(Date.now() / 1000) - 600 });
    expect(await refusedUpgrade(server, { query: `?token=${expired}` })).toMatchObject({
      status: 401,
      body: { msg: /expired/ },
    });
    expect(await refusedUpgrade(server, { query: `?token=${await token('alice')}&since=not-a-mid` })).toMatchObject({
      status: 400,
      body: { code: 'InvalidQuery' },
    });
  });

  it('accepts the token in the Authorization header, the token query parameter and the xsajwt cookie', async () => {
    const t = await token('alice');
    for (const via of ['header', 'query', 'cookie'] as const) {
      const s = await openSocket(server, t, { via });
      const hello = await s.next((f) => f.type === 'hello');
      expect(hello).toMatchObject({ uid: 'alice', node: NODE, resume: false });
      await s.close();
    }
  });

  it('accepts the cookie only from a page of its own origin (no cross-site websocket hijacking)', async () => {
    const cookie = `xsajwt=${await token('alice')}`;
    expect(await refusedUpgrade(server, { headers: { cookie, origin: 'https://evil.example' } })).toMatchObject({
      status: 403,
      body: { code: 'Forbidden' },
    });
    const same = await openSocket(server, await token('alice'), { via: 'cookie' });
    await same.next((f) => f.type === 'hello');
    await same.close();
  });

  it('ends the session with close code 4001 when the token expires while connected', async () => {
    // Expiry is wall-clock (JWT exp in seconds): the token must outlive the upgrade on a busy
    // machine, and the test then waits for the close itself, however long that takes.
    const exp = Math.floor(Date.now() / 1000) + 4;
    const s = await openLive(server, await token('erin', [], { exp }));
    expect(await s.closed).toEqual({ code: 4001, reason: 'token expired' });
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000);
  });
});

describe('re-authentication in the session', () => {
  it('an `auth` frame with a fresh token extends the session; one for another user ends it with 4003', async () => {
    const short = await token('kim', [], { exp: Math.floor(Date.now() / 1000) + 4 });
    const s = await openLive(server, short);
    // A second session on the same short token, never renewed: its 4001 is the evidence that
    // the first token's expiry has passed, on the server's own clock.
    const control = await openLive(server, short);
    s.send({ type: 'auth', token: await token('kim'), id: 'a1' });
    expect(await s.next((f) => f.id === 'a1')).toEqual({ type: 'ok', id: 'a1' });
    expect(await control.closed).toEqual({ code: 4001, reason: 'token expired' });
    s.send({ type: 'ping', id: 'still' });
    expect(await s.next((f) => f.id === 'still')).toEqual({ type: 'pong', id: 'still' });
    s.send({ type: 'auth', token: 'not.a.jwt', id: 'a2' });
    expect(await s.next((f) => f.id === 'a2')).toMatchObject({ type: 'error', code: 'Unauthorized' });
    s.send({ type: 'auth', token: await token('mallory') });
    expect(await s.closed).toEqual({ code: 4003, reason: 'token is for another user' });
  });
});

describe('frames', () => {
  it('answers malformed, unknown and invalid frames with an error frame and keeps the session open', async () => {
    const s = await live(await token('frank'));
    s.sendRaw('{not json');
    expect(await s.next((f) => f.type === 'error')).toMatchObject({ code: 'MalformedJson' });
    s.send({ type: 'dance', id: 7 });
    expect(await s.next((f) => f.type === 'error')).toMatchObject({ code: 'UnknownFrame', id: 7 });
    s.send({ type: 'ack', mids: 'nope', id: 'x' });
    expect(await s.next((f) => f.type === 'error')).toMatchObject({ code: 'InvalidFrame', id: 'x', msg: /mids/ });
    s.send({ type: 'history', limit: 100000, id: 9 });
    expect(await s.next((f) => f.type === 'error')).toMatchObject({ code: 'InvalidFrame', id: 9 });
    s.send({ type: 'ping', id: 1 });
    expect(await s.next((f) => f.type === 'pong')).toEqual({ type: 'pong', id: 1 });
  });
});

describe('delivery to every session of a user', () => {
  it('two sessions of one user both receive a message sent over HTTP', async () => {
    const t = await token('bob');
    const [a, b] = [await live(t), await live(t)];
    const mid = await send('bob', 'hello both tabs');
    for (const s of [a, b])
      expect(await s.next(isMessage(mid))).toMatchObject({
        type: 'message',
        mid,
        from: 'admin',
        msg: 'hello both tabs',
        urgency: 3,
      });
  });

  it('seen, read and deleted on one session reach the other, and the HTTP API reaches both', async () => {
    const t = await token('carol');
    const [a, b] = [await live(t), await live(t)];
    const m1 = await send('carol', 'one');
    const m2 = await send('carol', 'two');
    await a.next(isMessage(m2));
    a.send({ type: 'seen', mids: [m1], id: 1 });
    expect(await a.next((f) => f.type === 'ok')).toMatchObject({ id: 1 });
    expect(await b.next((f) => f.type === 'seen')).toEqual({ type: 'seen', mids: [m1] });
    b.send({ type: 'delete', mids: [m1], id: 2 });
    expect(await a.next((f) => f.type === 'deleted')).toEqual({ type: 'deleted', mids: [m1] });
    // Over HTTP (a push notification click, a native receipt): every session hears it.
    expect((await call(server, 'POST', '/api/v2/ack', { token: t, body: { mids: [m2], status: 'read' } })).status).toBe(
      200,
    );
    for (const s of [a, b])
      expect(await s.next((f) => f.type === 'seen' && (f.mids as string[]).includes(m2))).toEqual({
        type: 'seen',
        mids: [m2],
        read: true,
      });
    expect((await call(server, 'POST', '/api/v2/read', { token: t, body: { mid: m2 } })).status).toBe(200);
    for (const s of [a, b]) expect(await s.next((f) => f.type === 'read')).toEqual({ type: 'read', mid: m2 });
    // The session that made a change does not get its own echo.
    expect(a.ofType('seen').filter((f) => (f.mids as string[]).includes(m1))).toEqual([]);
    expect(b.ofType('deleted')).toEqual([]);
    // And the change is in the read model: m1 is gone from the inbox, m2 is read.
    const inbox = await call(server, 'GET', '/api/v2/inbox', { token: t });
    const items = (inbox.body as { messages: { mid: string; read: boolean }[] }).messages;
    expect(items.map((m) => m.mid)).toEqual([m2]);
    expect(items[0]?.read).toBe(true);
  });
});

describe('unseen on connect and resume', () => {
  it('a message sent while offline arrives in `unseen` on connect (newest first, bounded, with a cursor)', async () => {
    const mids: string[] = [];
    for (let i = 0; i < 52; i += 1) mids.push(await send('dave', `offline ${i}`));
    const s = await openSocket(server, await token('dave'));
    sockets.push(s);
    const unseen = await s.next((f) => f.type === 'unseen');
    const listed = (unseen.messages as { mid: string }[]).map((m) => m.mid);
    expect(listed).toEqual([...mids].reverse().slice(0, 50));
    expect(typeof unseen.next).toBe('string');
    s.send({ type: 'unseen', before: unseen.next, id: 'more' });
    const more = await s.next((f) => f.type === 'unseen' && f.id === 'more');
    expect((more.messages as { mid: string }[]).map((m) => m.mid)).toEqual([mids[1], mids[0]]);
  });

  it('resume with ?since= delivers every missed message in order, then live ones, without gap or duplicate', async () => {
    const t = await token('gina');
    const first = await live(t);
    const m0 = await send('gina', 'before');
    await first.next(isMessage(m0));
    await first.close();
    const missed = [await send('gina', 'missed 1'), await send('gina', 'missed 2'), await send('gina', 'missed 3')];
    // Publish a burst while the new session is catching up: each message must arrive once.
    const resumed = await openSocket(server, t, { since: m0 });
    sockets.push(resumed);
    const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => send('gina', `burst ${i}`)));
    await resumed.next((f) => f.type === 'resumed');
    // A burst message may come in the replay (before `resumed`) or live (after it): wait for
    // all of them wherever they are, rather than for each after the marker.
    const deadline = Date.now() + 20_000;
    const arrived = (): boolean => burst.every((mid) => resumed.ofType('message').some((f) => f.mid === mid));
    while (!arrived() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const got = resumed.ofType('message').map((f) => f.mid as string);
    expect(new Set(got).size).toBe(got.length);
    expect(got.slice(0, 3)).toEqual(missed);
    expect([...got].sort()).toEqual([...missed, ...burst].sort());
    const marker = resumed.frames.findIndex((f) => f.type === 'resumed');
    expect(resumed.frames[marker]).toMatchObject({ since: m0, truncated: false });
    expect(
      resumed.frames
        .slice(0, marker)
        .filter((f) => f.type === 'message')
        .map((f) => f.mid),
    ).toEqual(expect.arrayContaining(missed));
  });
});

describe('scheduled messages', () => {
  it('are delivered live when they fall due, not before, and not at all once cancelled', async () => {
    const s = await live(await token('sam'));
    const due = new Date(Date.now() + 2500).toISOString();
    const later = await call(server, 'POST', '/api/v2/send', {
      token: admin,
      body: { uid: 'sam', msg: 'later', scheduled: due },
    });
    const cancelled = await call(server, 'POST', '/api/v2/send', {
      token: admin,
      body: { uid: 'sam', msg: 'never', scheduled: due },
    });
    const laterMid = later.headers.get('x-message-id') ?? '';
    const cancelledMid = cancelled.headers.get('x-message-id') ?? '';
    expect((await call(server, 'POST', '/api/v2/cancel', { token: admin, body: { mid: cancelledMid } })).status).toBe(
      200,
    );
    const now = await send('sam', 'now');
    await s.next(isMessage(now));
    expect(s.ofType('message').map((f) => f.mid)).toEqual([now]);
    expect(await s.next(isMessage(laterMid), 15_000)).toMatchObject({ msg: 'later', scheduled: due });
    const fence = await send('sam', 'fence');
    await s.next(isMessage(fence));
    expect(s.ofType('message').map((f) => f.mid)).not.toContain(cancelledMid);
  });
});

describe('resume point for a client without messages', () => {
  it('`hello` carries a resume point that replays what was sent after that session began', async () => {
    const t = await token('lena');
    const first = await openSocket(server, t);
    const hello = await first.next((f) => f.type === 'hello');
    expect(hello.since).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7000-8000-000000000000$/);
    await first.next((f) => f.type === 'unseen');
    await first.close();
    const mid = await send('lena', 'while away');
    const again = await openSocket(server, t, { since: hello.since as string });
    sockets.push(again);
    const replayed = await again.next(isMessage(mid));
    expect(again.frames.indexOf(replayed)).toBeLessThan(again.frames.findIndex((f) => f.type === 'resumed'));
  });
});

describe('threads', () => {
  it('subscribing over the socket joins the thread live; an unsubscribed user stops receiving it', async () => {
    const owner = await token('olga');
    expect(
      (await call(server, 'POST', '/api/v2/threads', { token: owner, body: { tid: 'room', opens: true } })).status,
    ).toBe(201);
    const t = await token('hank');
    const [a, b] = [await live(t), await live(t)];
    a.send({ type: 'subscribe', tid: 'room', id: 's' });
    expect(await a.next((f) => f.type === 'subscribed')).toEqual({ type: 'subscribed', tid: 'room', id: 's' });
    // The other session of the same user joins the topic too, through the bus.
    expect(await b.next((f) => f.type === 'subscribed')).toEqual({ type: 'subscribed', tid: 'room' });
    const p1 = await call(server, 'POST', '/api/v2/publish', {
      token: owner,
      body: { tid: 'room', msg: 'in the room' },
    });
    const mid1 = p1.headers.get('x-message-id') ?? '';
    for (const s of [a, b]) expect(await s.next(isMessage(mid1))).toMatchObject({ tid: 'room', msg: 'in the room' });
    a.send({ type: 'history', tid: 'room', limit: 5, id: 'h' });
    expect(((await a.next((f) => f.type === 'history')).messages as { mid: string }[]).map((m) => m.mid)).toEqual([
      mid1,
    ]);
    // A late session learns its threads from the read model.
    const c = await live(t);
    // Unsubscribed over HTTP: every session leaves the topic.
    expect((await call(server, 'POST', '/api/v2/unsubscribe', { token: t, body: { tid: 'room' } })).status).toBe(200);
    for (const s of [a, b, c]) await s.next((f) => f.type === 'unsubscribed' && f.tid === 'room');
    const p2 = await call(server, 'POST', '/api/v2/publish', {
      token: owner,
      body: { tid: 'room', msg: 'after leaving' },
    });
    const mid2 = p2.headers.get('x-message-id') ?? '';
    // A direct message sent after it is a fence: once it arrived, the thread message would have too.
    const fence = await send('hank', 'fence');
    for (const s of [a, b, c]) {
      await s.next(isMessage(fence));
      expect(s.ofType('message').map((f) => f.mid)).not.toContain(mid2);
    }
    // History follows the HTTP rule: members, the owner, admins.
    a.send({ type: 'history', tid: 'room', id: 'h2' });
    expect(await a.next((f) => f.id === 'h2')).toMatchObject({ type: 'error', code: 'NotFound' });
  });
});

describe('presence and check-in', () => {
  it('answers who is online, and records sessions as batched check-in events', async () => {
    const t = await token('ivan');
    const [a, b] = [await openLive(server, t), await openLive(server, t)];
    const p = await call(server, 'GET', '/api/v2/presence/ivan', { token: admin });
    expect(p.body).toEqual({ uid: 'ivan', online: true, sessions: 2, nodes: [{ node: NODE, sessions: 2 }] });
    expect((await call(server, 'GET', '/api/v2/presence/ivan', { token: t })).status).toBe(403);
    await a.close();
    await b.close();
    expect((await call(server, 'GET', '/api/v2/presence/ivan', { token: admin })).body).toMatchObject({
      online: false,
      sessions: 0,
    });
    let entries: { uid: string; opened: number }[] = [];
    // The two openings may fall into one check-in batch or into two: wait for both.
    const opened = (): number => entries.filter((e) => e.uid === 'ivan').reduce((n, e) => n + e.opened, 0);
    for (let i = 0; i < 50 && opened() < 2; i += 1) {
      await new Promise((r) => setTimeout(r, 200));
      const s = await call(server, 'GET', `/api/v2/streams/presence-${NODE}?limit=200`, { token: admin });
      const events = (s.body as { events?: { type: string; data: { users: typeof entries } }[] }).events ?? [];
      entries = events.filter((e) => e.type === 'UsersCheckedIn').flatMap((e) => e.data.users);
    }
    expect(opened()).toBe(2);
  });

  it('serves the compiled client library', async () => {
    const r = await call(server, 'GET', '/api/v2/client.js');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/javascript/);
    expect(r.text).toMatch(/export class MsgxcClient/);
    expect(r.text).not.toMatch(/^import .* from ['"][^./]/m);
  });
});
