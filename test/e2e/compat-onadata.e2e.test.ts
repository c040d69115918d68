import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, tempDir, token, type Server } from './harness.js';

// onadata's messaging API (seed 002) with the seed's own requests: the README's curl bodies
// (`{"target_type": "xform", "target_id": "1337", "message": "Hello, World!"}`), its query
// strings, and the shapes onadata's own tests read back ({id, verb, message, user, timestamp},
// plus target_type/target_id when created). A form is the thread `xform:1337`; its members
// are the people with view permission.
describe('onadata /api/messaging', () => {
  const dataDir = tempDir();
  let s: Server;
  const t: Record<string, string> = {};
  const as = (who: string) => t[who] ?? '';
  beforeAll(async () => {
    s = await startServer({ dataDir, env: { MSGXC_LOG_LEVEL: 'warn' } });
    for (const u of ['alice', 'bob', 'carol', 'dave']) t[u] = await token(u);
    t['root'] = await token('root', ['admin']);
    // The app mirrors onadata's permissions: alice owns the form, bob may view it, dave may change it.
    // Its service (admin) token creates the form's thread (only an admin may) and makes alice its admin.
    expect(
      (await call(s, 'POST', '/api/v2/threads', { token: as('root'), body: { tid: 'xform:1337', name: 'Form Name' } }))
        .status,
    ).toBe(201);
    expect(
      (
        await call(s, 'POST', '/api/v2/threads/xform:1337/members', {
          token: as('root'),
          body: { uid: 'alice', role: 'admin' },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call(s, 'POST', '/api/v2/threads/xform:1337/members', {
          token: as('alice'),
          body: { uid: 'bob', role: 'subscriber' },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call(s, 'POST', '/api/v2/threads/xform:1337/members', {
          token: as('alice'),
          body: { uid: 'dave', role: 'publisher' },
        })
      ).status,
    ).toBe(200);
  });
  afterAll(async () => {
    await s.stop();
    removeDir(dataDir);
  });

  const seedBody = { target_type: 'xform', target_id: '1337', message: 'Hello, World!' };
  let created: { id: number; timestamp: string };
  let createdMid = '';

  it('POST with the seed body answers 201 with the stored message', async () => {
    const r = await call(s, 'POST', '/api/v1/messaging', {
      token: as('alice'),
      raw: JSON.stringify(seedBody),
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status, r.text).toBe(201);
    created = r.body as typeof created;
    createdMid = r.headers.get('x-message-id') ?? '';
    expect(r.body).toEqual({
      id: expect.any(Number) as number,
      verb: 'message',
      message: 'Hello, World!',
      user: 'alice',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string,
      target_type: 'xform',
      target_id: 1337,
    });
    // A publisher may post too; a viewer may not; a stranger and an unknown form look alike.
    expect(
      (await call(s, 'POST', '/api/messaging', { token: as('dave'), body: { ...seedBody, message: 'from dave' } }))
        .status,
    ).toBe(201);
    const viewer = await call(s, 'POST', '/api/messaging', { token: as('bob'), body: seedBody });
    expect(viewer.status).toBe(403);
    for (const [who, id] of [
      ['carol', '1337'],
      ['alice', '9999'],
    ] as const) {
      const r = await call(s, 'POST', '/api/messaging', { token: as(who), body: { ...seedBody, target_id: id } });
      expect([r.status, r.body]).toEqual([400, { code: 'TargetNotFound', msg: 'target_id not found' }]);
    }
  });

  it('refuses bad bodies naming the field, and anonymous callers', async () => {
    for (const [body, field] of [
      [{ ...seedBody, target_type: 'team' }, 'target_type'],
      [{ ...seedBody, target_id: 'x'.repeat(200) }, 'target_id'],
      [{ ...seedBody, target_id: -1 }, 'target_id'],
      [{ ...seedBody, message: '' }, 'message'],
      [{ target_type: 'xform', target_id: 1 }, 'message'],
    ] as const) {
      const r = await call(s, 'POST', '/api/messaging', { token: as('alice'), body });
      expect([r.status, (r.body as { msg: string }).msg]).toEqual([400, expect.stringContaining(field)]);
    }
    expect((await call(s, 'POST', '/api/messaging', { body: seedBody })).status).toBe(401);
    expect((await call(s, 'GET', '/api/messaging?target_type=xform&target_id=1337')).status).toBe(401);
  });

  it('GET ?target_type=xform&target_id=1337 lists newest first, for members only; pages with Link', async () => {
    const list = async (who: string, q = 'target_type=xform&target_id=1337') =>
      call(s, 'GET', `/api/v1/messaging?${q}`, { token: as(who) });
    const bob = await list('bob');
    expect(bob.status).toBe(200);
    const items = bob.body as { id: number; message: string; user: string; verb: string }[];
    expect(items.map((m) => [m.message, m.user, m.verb])).toEqual([
      ['from dave', 'dave', 'message'],
      ['Hello, World!', 'alice', 'message'],
    ]);
    expect(items[1]).toEqual({
      id: created.id,
      verb: 'message',
      message: 'Hello, World!',
      user: 'alice',
      timestamp: created.timestamp,
    });
    // Not a member (onadata listed anything for anyone): the same answer as a form without messages.
    expect((await list('carol')).body).toEqual([]);
    expect((await list('bob', 'target_type=xform&target_id=4242')).body).toEqual([]);
    expect((await list('bob', 'target_type=xform&target_id=1337&verb=submission_created')).body).toEqual([]);
    const first = await list('bob', 'target_type=xform&target_id=1337&page_size=1');
    expect((first.body as { message: string }[]).map((m) => m.message)).toEqual(['from dave']);
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.get('link') ?? '')?.[1] ?? '';
    const second = await call(s, 'GET', next, { token: as('bob') });
    expect((second.body as { message: string }[]).map((m) => m.message)).toEqual(['Hello, World!']);
    for (const [q, msg] of [
      ['', "Parameter 'target_type' is missing."],
      ['target_type=user', "Parameter 'target_id' is missing."],
      ['target_id=1337', "Parameter 'target_type' is missing."],
      ['target_type=xyz&target_id=1337', 'Unknown target_type xyz'],
      ['target_type=xform&target_id=1337&page_size=0', 'page_size'],
    ] as const) {
      const r = await list('bob', q);
      expect([r.status, (r.body as { msg: string }).msg]).toEqual([400, expect.stringContaining(msg)]);
    }
  });

  it('user targets: the user themself or an admin may post; only they read the list', async () => {
    const self = await call(s, 'POST', '/api/messaging', {
      token: as('bob'),
      body: { target_type: 'user', target_id: 'bob', message: 'note to self' },
    });
    expect(self.status, self.text).toBe(201);
    expect(
      (
        await call(s, 'POST', '/api/messaging', {
          token: as('carol'),
          body: { target_type: 'user', target_id: 'bob', message: 'spam' },
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await call(s, 'POST', '/api/messaging', {
          token: as('root'),
          body: { target_type: 'user', target_id: 'bob', message: 'I love oov' },
        })
      ).status,
    ).toBe(201);
    const mine = await call(s, 'GET', '/api/messaging?target_type=user&target_id=bob', { token: as('bob') });
    expect((mine.body as { message: string }[]).map((m) => m.message)).toEqual(['I love oov', 'note to self']);
    expect(
      (await call(s, 'GET', '/api/messaging?target_type=user&target_id=bob', { token: as('carol') })).body,
    ).toEqual([]);
  });

  it('GET and DELETE /api/messaging/{pk}: visible to sender, recipients, admins; the sender retracts', async () => {
    const get = (who: string, pk: number | string) => call(s, 'GET', `/api/messaging/${pk}`, { token: as(who) });
    const asBob = await get('bob', created.id);
    expect([asBob.status, asBob.body]).toEqual([
      200,
      { id: created.id, verb: 'message', message: 'Hello, World!', user: 'alice', timestamp: created.timestamp },
    ]);
    expect((await get('carol', created.id)).status).toBe(404);
    expect((await get('bob', 1)).status).toBe(404); // position 1 is the ThreadCreated event
    // By its message id too (the MQTT payload's `id`, X-Message-Id), answering the same message;
    // 'abc' is an id no message has (it was a 400 when only positions were read).
    const byMid = await get('bob', createdMid);
    expect([byMid.status, byMid.body]).toEqual([asBob.status, asBob.body]);
    expect((await get('carol', createdMid)).body).toEqual({ code: 'NotFound', msg: `message ${createdMid} not found` });
    expect((await get('bob', 'abc')).status).toBe(404);
    expect((await get('bob', '%20')).status).toBe(400);
    expect((await get('bob', '99999999999999999999')).status).toBe(400);
    // A message carol may not see answers DELETE exactly as a position holding no message:
    // the body would otherwise tell which ids are messages.
    const hidden = await call(s, 'DELETE', `/api/messaging/${created.id}`, { token: as('carol') });
    const none = await call(s, 'DELETE', '/api/messaging/1', { token: as('carol') });
    expect([hidden.status, hidden.body]).toEqual([404, { code: 'NotFound', msg: `message ${created.id} not found` }]);
    expect([none.status, none.body]).toEqual([404, { code: 'NotFound', msg: 'message 1 not found' }]);
    const del = await call(s, 'DELETE', `/api/v1/messaging/${created.id}`, { token: as('alice') });
    expect([del.status, del.text]).toEqual([204, '']);
    expect((await get('bob', created.id)).status).toBe(404);
    const left = await call(s, 'GET', '/api/messaging?target_type=xform&target_id=1337', { token: as('bob') });
    expect((left.body as { message: string }[]).map((m) => m.message)).toEqual(['from dave']);
  });

  it("a user can claim no form's or project's thread (its MQTT topic reaches the form's listeners)", async () => {
    const create = await call(s, 'POST', '/api/v2/threads', { token: as('carol'), body: { tid: 'xform:4242' } });
    expect(create.status, create.text).toBe(403);
    expect(create.body).toMatchObject({ code: 'ThreadIdIsReserved' });
    // Publishing to it answers as a thread carol may not publish to, and claims nothing.
    const pub = await call(s, 'POST', '/api/v2/publish', { token: as('carol'), body: { tid: 'project:7', msg: 'x' } });
    expect(pub.status, pub.text).toBe(403);
    expect(pub.body).toMatchObject({ code: 'ThreadIsClosedToPublishers' });
    const made = await call(s, 'POST', '/api/v2/threads', { token: as('root'), body: { tid: 'project:7' } });
    expect(made.status, made.text).toBe(201);
  });
});
