import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vapidKeyPair } from '../../adapters/channels/webpush.js';
import { asMessageId, asUserId } from '../../schema/ids.js';
import { signReceiptToken } from '../../schema/receipt-token.js';
import { call, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { allEvents, waitFor } from './standin-env.js';

// Issue 14's management API, push receipts without a session, the msgxc_admin alias, the
// VAPID key route and CORS, on a real server process (embedded or production stack).
const RECEIPT_SECRET = 'receipt-secret-0123456789-0123456789';
const ENV = {
  MSGXC_TRIAGE_TIME_SCALE: '0.002',
  MSGXC_SCHEDULER_POLL_MS: '50',
  MSGXC_LOG_LEVEL: 'warn',
  MSGXC_RECEIPT_SECRET: RECEIPT_SECRET,
  MSGXC_CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
};
const push = (n: string) => ({
  endpoint: `https://fcm.googleapis.com/fcm/send/device-${n}`,
  expirationTime: null,
  keys: {
    p256dh: 'BN81HfHxzt4V4lXDV_2ia8Rl_QvqofvoNI7_MOHCiOMEYuFXFNDBOJzKCCj2nzK5luwnH6rvBCN2jx7lNHpraaw',
    auth: '0ywNrBxQ-rm4skkHDJB5lw',
  },
});

describe('management API, push receipts, CORS', () => {
  const dataDir = tempDir();
  let s: Server;
  let root: string;
  const t: Record<string, string> = {};
  beforeAll(async () => {
    s = await startServer({ dataDir, env: ENV });
    root = await token('root', ['admin']);
    for (const u of ['alice', 'bob', 'carol', 'dave', 'erin']) t[u] = await token(u);
  });
  afterAll(async () => {
    await s.stop();
    removeDir(dataDir);
  });
  const as = (who: string) => t[who] ?? '';

  it('lists and removes devices: logout by id or by the enlist body, self or admin only', async () => {
    for (const n of ['1', '2', '3'])
      expect((await call(s, 'POST', '/api/v2/enlist', { token: as('alice'), body: push(n) })).status).toBe(200);
    const list = async (): Promise<{ deviceId: string; channel: string }[]> =>
      (
        (await call(s, 'GET', '/api/v2/devices', { token: as('alice') })).body as {
          devices: { deviceId: string; channel: string }[];
        }
      ).devices;
    const before = await list();
    expect(before).toHaveLength(3);
    const [newest, , oldest] = before;
    expect(newest?.channel).toBe('webpush');
    const id = newest?.deviceId ?? '';
    expect((await call(s, 'DELETE', `/api/v2/users/alice/devices/${id}`, { token: as('bob') })).status).toBe(403);
    expect((await call(s, 'DELETE', `/api/v2/devices/${id}`, { token: as('alice') })).status).toBe(200);
    const again = await call(s, 'DELETE', `/api/v2/devices/${id}`, { token: as('alice') });
    expect([again.status, (again.body as { code: string }).code]).toEqual([404, 'DeviceNotFound']);
    expect(
      (await call(s, 'DELETE', `/api/v2/users/alice/devices/${oldest?.deviceId ?? ''}`, { token: root })).status,
    ).toBe(200);
    expect((await call(s, 'POST', '/api/v2/logout', { token: as('alice'), body: push('2') })).status).toBe(200);
    expect(await list()).toEqual([]);
    const revoked = (await allEvents(s, root, ['DeviceRevoked'])).filter((e) => e.data['uid'] === 'alice');
    expect(revoked).toHaveLength(3);
    expect((await call(s, 'POST', '/api/v2/logout', { token: as('alice'), body: { os: 'ios' } })).status).toBe(400);
  });

  it('changes thread settings (managers only), removes a member entirely, lists my threads and subscribers', async () => {
    const tid = 'team-1';
    expect((await call(s, 'POST', '/api/v2/threads', { token: as('alice'), body: { tid, name: 'Team' } })).status).toBe(
      201,
    );
    // Closed: a stranger cannot subscribe, and the thread looks unknown to them.
    expect((await call(s, 'POST', '/api/v2/subscribe', { token: as('bob'), body: { tid } })).status).toBe(404);
    expect(
      (await call(s, 'POST', `/api/v2/threads/${tid}/settings`, { token: as('bob'), body: { opens: true } })).status,
    ).toBe(404);
    expect((await call(s, 'POST', `/api/v2/threads/${tid}/settings`, { token: as('alice'), body: {} })).status).toBe(
      400,
    );
    const bad = await call(s, 'POST', `/api/v2/threads/${tid}/settings`, {
      token: as('alice'),
      body: { opens: 'yes' },
    });
    expect([bad.status, (bad.body as { msg: string }).msg]).toEqual([400, expect.stringContaining('opens')]);
    const opened = await call(s, 'POST', `/api/v2/threads/${tid}/settings`, {
      token: as('alice'),
      body: { opens: true, name: 'Team one' },
    });
    expect(opened.status, opened.text).toBe(200);
    for (const u of ['bob', 'carol'])
      expect((await call(s, 'POST', '/api/v2/subscribe', { token: as(u), body: { tid } })).status).toBe(200);
    expect(
      (
        await call(s, 'POST', `/api/v2/threads/${tid}/members`, {
          token: as('alice'),
          body: { uid: 'carol', role: 'publisher' },
        })
      ).status,
    ).toBe(200);
    // A subscriber is no manager.
    expect(
      (await call(s, 'POST', `/api/v2/threads/${tid}/settings`, { token: as('bob'), body: { openp: true } })).status,
    ).toBe(403);
    const view = (await call(s, 'GET', `/api/v2/threads/${tid}`, { token: as('bob') })).body as {
      name: string;
      opens: boolean;
    };
    expect([view.name, view.opens]).toEqual(['Team one', true]);

    const mine = async (who: string) =>
      (
        (await call(s, 'GET', '/api/v2/threads', { token: as(who) })).body as {
          threads: { tid: string; owner: boolean; roles: string[]; name?: string }[];
        }
      ).threads.filter((x) => x.tid === tid);
    expect(await mine('alice')).toEqual([{ tid, owner: true, roles: [], name: 'Team one', opens: true, openp: false }]);
    expect((await mine('carol'))[0]?.roles).toEqual(['publisher', 'subscriber']);
    expect(await mine('dave')).toEqual([]);

    const subs = await call(s, 'GET', `/api/v2/threads/${tid}/subscribers`, { token: as('bob') });
    expect(subs.status).toBe(200);
    expect((subs.body as { subscribers: { uid: string }[] }).subscribers.map((x) => x.uid)).toEqual(['bob', 'carol']);
    const stranger = await call(s, 'GET', `/api/v2/threads/${tid}/subscribers`, { token: as('dave') });
    expect([stranger.status, (stranger.body as { code: string }).code]).toEqual([403, 'MembersOnly']);
    expect((await call(s, 'GET', '/api/v2/threads/nowhere/subscribers', { token: as('dave') })).status).toBe(404);

    expect((await call(s, 'DELETE', `/api/v2/threads/${tid}/members/carol`, { token: as('bob') })).status).toBe(403);
    expect(
      (await call(s, 'DELETE', `/api/v2/threads/${tid}/members/carol?role=owner`, { token: as('alice') })).status,
    ).toBe(400);
    expect((await call(s, 'DELETE', `/api/v2/threads/${tid}/members/carol`, { token: as('alice') })).status).toBe(200);
    expect(await mine('carol')).toEqual([]);
    const left = (await allEvents(s, root, ['ThreadMemberRemoved'])).filter((e) => e.data['uid'] === 'carol');
    expect(left.map((e) => e.data['role']).sort()).toEqual(['publisher', 'subscriber']);
  });

  it('reads back a profile: self or admin', async () => {
    expect(
      (
        await call(s, 'POST', '/api/v2/profile', {
          token: as('dave'),
          body: { email: 'dave@example.com', channels: ['email'] },
        })
      ).status,
    ).toBe(200);
    const own = await call(s, 'GET', '/api/v2/profile', { token: as('dave') });
    expect(own.body).toMatchObject({ uid: 'dave', email: 'dave@example.com', channels: ['email'], devices: [] });
    expect((await call(s, 'GET', '/api/v2/users/dave/profile', { token: as('bob') })).status).toBe(403);
    expect((await call(s, 'GET', '/api/v2/users/dave/profile', { token: root })).body).toMatchObject({
      email: 'dave@example.com',
    });
  });

  it('accepts msgxc_admin as admin (msgxc services), and nothing else as admin', async () => {
    const legacy = await token('ops', ['msgxc_admin']);
    const r = await call(s, 'POST', '/api/v2/send', { token: legacy, body: { uid: 'bob', msg: 'from ops' } });
    expect(r.status, r.text).toBe(200);
    // By its id: a direct message's text is sealed in the log as auditors read it (docs/gdpr.md).
    const mid = r.headers.get('x-message-id');
    const sent = (await allEvents(s, root, ['MessagePublished'])).find((e) => e.data['mid'] === mid);
    expect(sent?.metadata?.['actor']).toMatchObject({ uid: 'ops', roles: ['msgxc_admin', 'admin'] });
    const other = await token('ops2', ['msgxc_user', 'Admin']);
    expect((await call(s, 'POST', '/api/v2/send', { token: other, body: { uid: 'bob', msg: 'no' } })).status).toBe(403);
  });

  it('a push carries a signed receipt token; posting it without a session stops the email escalation', async () => {
    expect((await call(s, 'POST', '/api/v2/enlist', { token: as('erin'), body: push('erin') })).status).toBe(200);
    expect(
      (await call(s, 'POST', '/api/v2/profile', { token: as('erin'), body: { email: 'erin@example.com' } })).status,
    ).toBe(200);
    const sent = await call(s, 'POST', '/api/v2/send', { token: root, body: { uid: 'erin', msg: 'tap me' } });
    const mid = sent.headers.get('x-message-id') ?? '';
    const entry = await waitFor('the web push in the outbox', async () => {
      const r = (await call(s, 'GET', `/api/v2/outbox?mid=${mid}&channel=webpush`, { token: root })).body as {
        entries: { payload: { payload: { receipt?: string; mid: string } } }[];
      };
      return r.entries[0];
    });
    const receipt = entry.payload.payload.receipt ?? '';
    expect(receipt).toMatch(/^[\w-]+\.[\w-]{43}$/);
    // Forged (another key), edited claims, expired, absent: refused with 401, and nothing recorded.
    const forged = signReceiptToken('x'.repeat(40), {
      mid: asMessageId(mid),
      uid: asUserId('erin'),
      channel: 'webpush',
      expiresAt: Date.now() + 60_000,
    });
    const expired = signReceiptToken(RECEIPT_SECRET, {
      mid: asMessageId(mid),
      uid: asUserId('erin'),
      channel: 'webpush',
      expiresAt: Date.now() - 1000,
    });
    const [body, sig] = receipt.split('.');
    const claims = JSON.parse(Buffer.from(body ?? '', 'base64url').toString()) as Record<string, unknown>;
    const edited = `${Buffer.from(JSON.stringify({ ...claims, u: 'mallory' })).toString('base64url')}.${sig ?? ''}`;
    for (const [tok, why] of [
      [forged, 'signature'],
      [expired, 'expired'],
      [edited, 'signature'],
      ['junk', 'malformed'],
    ] as const) {
      const r = await call(s, 'POST', '/api/v2/receipts/push', { body: { token: tok } });
      expect([r.status, (r.body as { msg: string }).msg]).toEqual([401, expect.stringContaining(why)]);
    }
    expect((await call(s, 'POST', '/api/v2/receipts/push', { body: {} })).status).toBe(400);
    expect((await call(s, 'POST', '/api/v2/receipts/push', { body: { token: receipt, status: 'bogus' } })).status).toBe(
      400,
    );
    const ok = await call(s, 'POST', '/api/v2/receipts/push', { body: { token: receipt } });
    expect(ok.status, ok.text).toBe(200);
    const acks = (await allEvents(s, root, ['MessagesAcknowledged'])).filter((e) => e.data['uid'] === 'erin');
    expect(acks.map((e) => e.data)).toEqual([{ uid: 'erin', mids: [mid], status: 'clicked', channel: 'webpush' }]);
    const decided = await waitFor(
      'the email step decision',
      async () => {
        const d = (await allEvents(s, root, ['DeliverySkipped', 'DeliverySucceeded']))
          .filter((e) => e.data['mid'] === mid)
          .map((e) => `${String(e.data['channel'])}:${e.type}`);
        return d.some((x) => x.startsWith('email:')) ? d.sort() : undefined;
      },
      20_000,
      100,
    );
    expect(decided).toEqual(['email:DeliverySkipped', 'webpush:DeliverySucceeded']);
  });

  it('receipts say where they came from: api by default, or the channel the client names', async () => {
    const sent = await call(s, 'POST', '/api/v2/send', { token: root, body: { uid: 'bob', msg: 'ack me' } });
    const mid = sent.headers.get('x-message-id') ?? '';
    expect(
      (await call(s, 'POST', '/api/v2/ack', { token: as('bob'), body: { mids: [mid], status: 'delivered' } })).status,
    ).toBe(200);
    expect(
      (
        await call(s, 'POST', '/api/v2/ack', {
          token: as('bob'),
          body: { mids: [mid], status: 'delivered', channel: 'apns' },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call(s, 'POST', '/api/v2/ack', {
          token: as('bob'),
          body: { mids: [mid], status: 'seen', channel: 'pigeon' },
        })
      ).status,
    ).toBe(400);
    const acks = (await allEvents(s, root, ['MessagesAcknowledged'])).filter((e) => e.data['uid'] === 'bob');
    expect(acks.map((e) => e.data['channel'])).toEqual(['api', 'apns']);
  });

  it('CORS: listed origins exactly, with credentials; preflights answered; others get no grant', async () => {
    const origin = 'https://app.example.com';
    const pre = await call(s, 'OPTIONS', '/api/v2/publish', {
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });
    expect(pre.status).toBe(204);
    expect(
      Object.fromEntries([...pre.headers].filter(([k]) => k.startsWith('access-control') || k === 'vary')),
    ).toMatchObject({
      'access-control-allow-origin': origin,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'POST',
      vary: 'Origin',
    });
    expect(pre.headers.get('access-control-allow-headers')).toContain('Authorization');
    const wrongMethod = await call(s, 'OPTIONS', '/api/v2/publish', {
      headers: { origin, 'access-control-request-method': 'DELETE' },
    });
    expect(wrongMethod.status).toBe(405);
    for (const evil of ['https://evil.example.com', 'https://app.example.com.evil.com', 'null']) {
      const r = await call(s, 'OPTIONS', '/api/v2/publish', {
        headers: { origin: evil, 'access-control-request-method': 'POST' },
      });
      expect([r.status, r.headers.get('access-control-allow-origin')]).toEqual([403, null]);
      const g = await call(s, 'GET', '/api/v2/ping', { headers: { origin: evil } });
      expect([g.status, g.headers.get('access-control-allow-origin'), g.headers.get('vary')]).toEqual([
        200,
        null,
        'Origin',
      ]);
    }
    // A refusal is readable by the page too, so it can tell the user why.
    const refused = await call(s, 'GET', '/api/v2/devices', { headers: { origin: 'http://localhost:5173' } });
    expect([refused.status, refused.headers.get('access-control-allow-origin')]).toEqual([
      401,
      'http://localhost:5173',
    ]);
    expect(refused.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
  });
});

describe('CORS for any origin, and the VAPID key', () => {
  const dataDir = tempDir();
  const keys = vapidKeyPair();
  let s: Server;
  beforeAll(async () => {
    s = await startServer({
      dataDir,
      env: {
        MSGXC_CORS_ORIGINS: '*',
        MSGXC_VAPID_PUBLIC_KEY: keys.publicKey,
        MSGXC_VAPID_PRIVATE_KEY: keys.privateKey,
        MSGXC_VAPID_SUBJECT: 'mailto:ops@example.com',
        MSGXC_LOG_LEVEL: 'warn',
      },
    });
  });
  afterAll(async () => {
    await s.stop();
    removeDir(dataDir);
  });

  it('`*` grants every origin but never credentials', async () => {
    const pre = await call(s, 'OPTIONS', '/api/v2/enlist', {
      headers: { origin: 'https://anyone.example', 'access-control-request-method': 'POST' },
    });
    expect([
      pre.status,
      pre.headers.get('access-control-allow-origin'),
      pre.headers.get('access-control-allow-credentials'),
    ]).toEqual([204, '*', null]);
    const g = await call(s, 'GET', '/api/v2/webpush/vapid-key', { headers: { origin: 'https://anyone.example' } });
    expect([
      g.status,
      g.headers.get('access-control-allow-origin'),
      g.headers.get('access-control-allow-credentials'),
    ]).toEqual([200, '*', null]);
    expect(g.body).toEqual({ publicKey: keys.publicKey });
  });

  it('a receipt token cannot be used where the broker signs none', async () => {
    const r = await call(s, 'POST', '/api/v2/receipts/push', { body: { token: 'a.b' } });
    expect([r.status, (r.body as { code: string }).code]).toEqual([404, 'ReceiptTokensNotConfigured']);
  });

  it('refuses a wildcard mixed into a list, and a short receipt secret, at start-up', async () => {
    for (const env of [
      { MSGXC_CORS_ORIGINS: '*, https://a.example' },
      { MSGXC_CORS_ORIGINS: 'https://a.example/path' },
      { MSGXC_RECEIPT_SECRET: 'short' },
    ]) {
      const dir = tempDir();
      await expect(startServer({ dataDir: dir, env })).rejects.toThrow(Object.keys(env)[0] ?? '');
      removeDir(dir);
    }
  });
});

describe('without MSGXC_CORS_ORIGINS or VAPID keys', () => {
  const dataDir = tempDir();
  let s: Server;
  beforeAll(async () => {
    s = await startServer({ dataDir, env: { MSGXC_LOG_LEVEL: 'warn' } });
  });
  afterAll(async () => {
    await s.stop();
    removeDir(dataDir);
  });
  it('answers no CORS header and no preflight; the VAPID key is unknown', async () => {
    const g = await call(s, 'GET', '/api/v2/ping', { headers: { origin: 'https://app.example.com' } });
    expect(g.headers.get('access-control-allow-origin')).toBeNull();
    expect(
      (await call(s, 'OPTIONS', '/api/v2/publish', { headers: { origin: 'https://app.example.com' } })).status,
    ).toBe(405);
    const v = await call(s, 'GET', '/api/v2/webpush/vapid-key');
    expect([v.status, (v.body as { code: string }).code]).toEqual([404, 'WebPushNotConfigured']);
  });
});
