import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, token, type Server } from './harness.js';
import { allEvents } from './standin-env.js';

// The seed's v1 routes (docs/lineage.md), the X-Position header of every write, and who may
// read the outbox, on a real server process.
let s: Server;
let admin: string;
let alice: string;
let bob: string;
const inbox = async (t: string): Promise<string[]> =>
  ((await call(s, 'GET', '/api/v2/inbox?limit=50', { token: t })).body as { messages: { msg: string }[] }).messages.map(
    (m) => m.msg,
  );

beforeAll(async () => {
  s = await startServer({ env: { MSGXC_LOG_LEVEL: 'warn' } });
  [admin, alice, bob] = await Promise.all([token('root', ['admin']), token('alice'), token('bob')]);
});
afterAll(async () => {
  await s.stop();
  removeDir(s.dataDir);
});

describe('the seed v1 routes', () => {
  it('GET /api/v1/ping answers true without a token, as v2 does', async () => {
    for (const path of ['/api/v1/ping', '/api/v2/ping']) {
      const r = await call(s, 'GET', path);
      expect([r.status, r.text], path).toEqual([200, 'true']);
    }
  });

  it('POST /api/v1/send is open to any valid token, while /api/v2/send is admin-only; no token is 401 on both', async () => {
    const v1 = await call(s, 'POST', '/api/v1/send', { token: alice, body: { uid: 'bob', msg: 'v1 from alice' } });
    expect(v1.status, v1.text).toBe(200);
    expect(v1.body).toBe(true);
    const mid = v1.headers.get('x-message-id') ?? '';
    expect(mid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(await inbox(bob)).toContain('v1 from alice');
    const published = (await call(s, 'GET', `/api/v2/streams/message-${mid}`, { token: admin })).body as {
      events: { type: string; metadata: { actor: { uid: string } } }[];
    };
    expect(published.events.map((e) => [e.type, e.metadata.actor.uid])).toEqual([['MessagePublished', 'alice']]);
    const v2 = await call(s, 'POST', '/api/v2/send', { token: alice, body: { uid: 'bob', msg: 'v2 from alice' } });
    expect(v2.status).toBe(403);
    expect(v2.body).toMatchObject({ code: 'Forbidden' });
    for (const path of ['/api/v1/send', '/api/v2/send'])
      expect((await call(s, 'POST', path, { body: { uid: 'bob', msg: 'x' } })).status, path).toBe(401);
    // Bad input is the same 400 on v1, naming the field.
    expect((await call(s, 'POST', '/api/v1/send', { token: alice, body: { uid: 'bob' } })).body).toMatchObject({
      code: 'InvalidBody',
      msg: expect.stringContaining('msg') as unknown,
    });
    expect(await inbox(bob)).not.toContain('v2 from alice');
  });

  it('POST /api/v1/multicast and /api/v1/broadcast are admin-only, as on v2', async () => {
    expect(
      (await call(s, 'POST', '/api/v1/multicast', { token: alice, body: { uids: ['bob'], msg: 'no' } })).status,
    ).toBe(403);
    expect((await call(s, 'POST', '/api/v1/broadcast', { token: alice, body: { msg: 'no' } })).status).toBe(403);
    const m = await call(s, 'POST', '/api/v1/multicast', {
      token: admin,
      body: { uids: ['bob', 'carol'], msg: 'v1 multicast' },
    });
    expect(m.status, m.text).toBe(200);
    const b = await call(s, 'POST', '/api/v1/broadcast', { token: admin, body: { msg: 'v1 broadcast' } });
    expect(b.status, b.text).toBe(200);
    expect(await inbox(bob)).toEqual(expect.arrayContaining(['v1 multicast', 'v1 broadcast']));
    expect(await inbox(await token('carol'))).toContain('v1 multicast');
    expect(await inbox(alice)).not.toContain('v1 multicast');
  });

  it("POST /api/v1/native/subscribe enlists the caller's device, as /api/v2/enlist does", async () => {
    const device = { os: 'android', token: 'fcm-token-for-v1-subscribe' };
    const r = await call(s, 'POST', '/api/v1/native/subscribe', { token: alice, body: device });
    expect([r.status, r.body]).toEqual([200, true]);
    const devices = (await call(s, 'GET', '/api/v2/users/alice/devices', { token: alice })).body as {
      devices: { channel: string; device: unknown }[];
    };
    expect(devices.devices).toEqual([expect.objectContaining({ channel: 'fcm', device })]);
    expect((await call(s, 'POST', '/api/v1/native/subscribe', { body: device })).status).toBe(401);
    expect((await call(s, 'POST', '/api/v1/native/subscribe', { token: alice, body: { os: 'ios' } })).status).toBe(400);
  });
});

describe('X-Position', () => {
  it('every write answers the log position of its last event; a read with min_position waits for it', async () => {
    const writes = [
      await call(s, 'POST', '/api/v2/threads', { token: alice, body: { tid: 'pos-room', opens: true } }),
      await call(s, 'POST', '/api/v2/subscribe', { token: bob, body: { tid: 'pos-room' } }),
      await call(s, 'POST', '/api/v2/publish', { token: alice, body: { tid: 'pos-room', msg: 'where am I' } }),
      await call(s, 'POST', '/api/v2/send', { token: admin, body: { uid: 'bob', msg: 'and me' } }),
      await call(s, 'POST', '/api/v2/enlist', { token: bob, body: { os: 'android', token: 'bob-fcm' } }),
    ];
    const events = await allEvents(s, admin);
    let previous = 0;
    for (const w of writes) {
      expect(w.status, w.text).toBeLessThan(300);
      const position = Number(w.headers.get('x-position'));
      expect(
        Number.isInteger(position) && position > previous,
        `X-Position ${String(w.headers.get('x-position'))}`,
      ).toBe(true);
      previous = position;
    }
    // The position is the command's own event: the publish's is its MessagePublished.
    const mid = writes[2]?.headers.get('x-message-id');
    const publishedAt = events.find((e) => e.type === 'MessagePublished' && e.data['mid'] === mid)?.position;
    expect(Number(writes[2]?.headers.get('x-position'))).toBe(publishedAt);
    const read = await call(s, 'GET', `/api/v2/threads/pos-room/messages?min_position=${String(previous)}`, {
      token: bob,
    });
    expect(read.status).toBe(200);
    expect(read.headers.get('x-stale')).toBeNull();
    expect((read.body as { messages: { msg: string }[] }).messages.map((m) => m.msg)).toEqual(['where am I']);
  });
});

describe('the outbox', () => {
  it('is for admins only: 401 without a token, 403 for a user, 200 for an admin', async () => {
    expect((await call(s, 'GET', '/api/v2/outbox')).status).toBe(401);
    const user = await call(s, 'GET', '/api/v2/outbox', { token: bob });
    expect(user.status).toBe(403);
    expect(user.body).toMatchObject({ code: 'Forbidden' });
    expect(JSON.stringify(user.body)).not.toContain('entries');
    const ok = await call(s, 'GET', '/api/v2/outbox?limit=5', { token: admin });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ entries: expect.any(Array) as unknown });
  });
});
