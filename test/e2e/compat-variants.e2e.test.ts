import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignVariant } from '../../domain/variants.js';
import { call, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { openLive } from './realtime-socket.js';
import { connect } from './wsn-socket.js';

// A/B variants on the compatibility surfaces (docs/campaigns.md): a recipient reads the text of
// their own variant there as on the v2 inbox (onadata's /api/messaging list and retrieve, the
// webservice-notification socket's unseen and live notifications, msgxc's slug frames); the
// sender and admins read the base text where the shape has room for one text only. The expected
// variant is computed independently from (mid, uid) and the weights (domain/variants.ts) and
// checked against the v2 inbox too; the base text is never a variant's, so showing it fails.
const BASE = 'Spring sale';
const VARIANTS = [
  { name: 'a', msg: 'Spring sale: 20% off', weight: 50 },
  { name: 'b', msg: 'Spring sale: free shipping', weight: 50 },
];
const expected = (mid: string, uid: string): string => assignVariant(VARIANTS, mid, uid).msg;

interface OnadataMessage {
  id: number;
  message: string;
}

describe('A/B variants on the compat routes', () => {
  const dataDir = tempDir();
  let s: Server;
  let admin: string;
  const run = Date.now().toString(36);
  const uids = Array.from({ length: 4 }, (_, i) => `cv${String(i)}-${run}`);
  const tid = `xform:${run}`;
  beforeAll(async () => {
    s = await startServer({ dataDir, env: { MSGXC_LOG_LEVEL: 'warn' } });
    admin = await token('root', ['admin']);
    const owner = await token('owner');
    // An onadata form's thread is created by the app's service (admin) token, its owner added as an admin member.
    expect((await call(s, 'POST', '/api/v2/threads', { token: admin, body: { tid } })).status).toBe(201);
    const own = await call(s, 'POST', `/api/v2/threads/${tid}/members`, {
      token: admin,
      body: { uid: 'owner', role: 'admin' },
    });
    expect(own.status, own.text).toBe(200);
    for (const uid of uids) {
      const r = await call(s, 'POST', `/api/v2/threads/${tid}/members`, {
        token: owner,
        body: { uid, role: 'subscriber' },
      });
      expect(r.status, r.text).toBe(200);
    }
  });
  afterAll(async () => {
    await s.stop();
    removeDir(dataDir);
  });

  const send = async (body: Record<string, unknown>, as = admin): Promise<string> => {
    const r = await call(s, 'POST', '/api/v2/send', { token: as, body: { ...body, variants: VARIANTS } });
    expect(r.status, r.text).toBe(200);
    return r.headers.get('x-message-id') ?? '';
  };
  const inboxText = async (uid: string, mid: string): Promise<string | undefined> => {
    const r = await call(s, 'GET', '/api/v2/inbox?limit=200', { token: await token(uid) });
    expect(r.status, r.text).toBe(200);
    return (r.body as { messages: { mid: string; msg: string }[] }).messages.find((m) => m.mid === mid)?.msg;
  };

  it('onadata: a recipient lists and retrieves their own variant, the sender and admins the base text', async () => {
    for (const uid of uids) {
      const mid = await send({ uid, msg: BASE });
      const want = expected(mid, uid);
      expect(await inboxText(uid, mid)).toBe(want);
      const me = await token(uid);
      const list = await call(s, 'GET', `/api/messaging?target_type=user&target_id=${uid}`, { token: me });
      expect(list.status, list.text).toBe(200);
      const [first] = list.body as OnadataMessage[];
      expect(first?.message).toBe(want);
      const one = await call(s, 'GET', `/api/messaging/${String(first?.id)}`, { token: me });
      expect((one.body as OnadataMessage).message).toBe(want);
      const asAdmin = await call(s, 'GET', `/api/messaging/${String(first?.id)}`, { token: admin });
      expect((asAdmin.body as OnadataMessage).message).toBe(BASE);
    }
    // A thread's message: each member lists their own variant of the same message; its sender the base.
    const pub = await call(s, 'POST', '/api/v2/publish', {
      token: await token('owner'),
      body: { tid, msg: BASE, variants: VARIANTS },
    });
    expect(pub.status, pub.text).toBe(200);
    const mid = pub.headers.get('x-message-id') ?? '';
    const [, id] = tid.split(':');
    for (const uid of [...uids, 'owner']) {
      const list = await call(s, 'GET', `/api/messaging?target_type=xform&target_id=${String(id)}`, {
        token: await token(uid),
      });
      expect(list.status, list.text).toBe(200);
      expect((list.body as OnadataMessage[])[0]?.message).toBe(uid === 'owner' ? BASE : expected(mid, uid));
    }
  });

  it('webservice-notification: unseen and live notifications carry the session user their variant', async () => {
    const uid = uids[0] ?? '';
    const before = await send({ uid, msg: BASE });
    const c = await connect(s, await token(uid));
    const unseen = (await c.next('notification')) as { _id: string; content: string }[];
    expect(unseen.find((n) => n._id === before)?.content).toBe(expected(before, uid));
    const live = await send({ uid, msg: BASE });
    expect(await c.next('notification')).toEqual([
      expect.objectContaining({ _id: live, content: expected(live, uid) }),
    ]);
    c.close();
  });

  it('msgxc slug frames: a live thread message to a slug subscriber is their variant', async () => {
    const uid = uids[1] ?? '';
    const ws = await openLive(s, await token(uid));
    ws.send({ slug: '/api/v2/subscribe/thread', tid });
    await ws.next((f) => f['slug'] === '/api/v2/subscribe/thread');
    const pub = await call(s, 'POST', '/api/v2/publish', {
      token: await token('owner'),
      body: { tid, msg: BASE, variants: VARIANTS },
    });
    const mid = pub.headers.get('x-message-id') ?? '';
    const frame = await ws.next((f) => f.type === 'message' && f['mid'] === mid);
    expect(frame).toMatchObject({ msg: expected(mid, uid) });
    await ws.close();
  });
});
