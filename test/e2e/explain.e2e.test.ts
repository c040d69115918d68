import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { waitFor } from './standin-env.js';
import type { Explanation } from '../../schema/explain.js';

// Explain (GET /api/v2/messages/{mid}/deliveries) on the embedded defaults: without provider
// credentials every channel is the outbox. An offline user with a web push device and an
// email address gets the push at once; the email step comes due after the (compressed)
// nearline delay and is skipped because the push was clicked. Explain must tell exactly that,
// with the rule that chose each step and the log position of each fact.
const ENV = { MSGXC_TRIAGE_TIME_SCALE: '0.002', MSGXC_SCHEDULER_POLL_MS: '50', MSGXC_LOG_LEVEL: 'warn' };
const WEB_PUSH = {
  endpoint:
    'https://fcm.googleapis.com/fcm/send/czVGxJOoycA:APA91bGZt8FZU2fEAnDCr1PdRb7HDtayoGDUO1dy6vjTu1sDKhGAAB0i2nXw_jGKhnzmh5rmK4klsyaRQaUpM0oS0VYGBCTTpF-nkP67UEW7BX9o7vNatcPuiG-yHa75hXE80B5F7DNi',
  expirationTime: null,
  keys: {
    p256dh: 'BN81HfHxzt4V4lXDV_2ia8Rl_QvqofvoNI7_MOHCiOMEYuFXFNDBOJzKCCj2nzK5luwnH6rvBCN2jx7lNHpraaw',
    auth: '0ywNrBxQ-rm4skkHDJB5lw',
  },
};

describe('explain a message from the log', () => {
  const dataDir = tempDir();
  let s: Server;
  let admin: string;
  beforeAll(async () => {
    s = await startServer({ dataDir, env: ENV });
    admin = await token('root', ['admin']);
  });
  afterAll(async () => {
    await s.stop();
    removeDir(dataDir);
  });

  const explain = async (mid: string, as: string, query = ''): Promise<{ status: number; body: unknown }> =>
    call(s, 'GET', `/api/v2/messages/${mid}/deliveries${query}`, { token: as });

  it('tells the plan, the push sent, the email skipped because the push was clicked, and the receipt', async () => {
    const frank = await token('frank');
    expect((await call(s, 'POST', '/api/v2/enlist', { token: frank, body: WEB_PUSH })).status).toBe(200);
    const profile = { email: 'frank@example.com' };
    expect((await call(s, 'POST', '/api/v2/profile', { token: frank, body: profile })).status).toBe(200);
    const sent = await call(s, 'POST', '/api/v2/send', { token: admin, body: { uid: 'frank', msg: 'hello frank' } });
    expect(sent.status, sent.text).toBe(200);
    const mid = sent.headers.get('x-message-id') ?? '';
    const pushed = await waitFor(
      'the web push to be sent',
      async () => {
        const r = await explain(mid, admin);
        const e = r.body as Explanation;
        return e.recipients[0]?.steps.find((x) => x.channel === 'webpush')?.state === 'sent' ? e : undefined;
      },
      20_000,
      100,
    );
    expect(pushed.from).toBe('root');
    expect(pushed.triage).toHaveLength(1);
    const [r0] = pushed.recipients;
    expect(r0?.uid).toBe('frank');
    expect(r0?.online).toBe(false);
    expect(r0?.plan.map((p) => `${p.channel}:${p.rule}`).sort()).toEqual(['email:unread', 'webpush:offline']);
    expect(r0?.steps.find((x) => x.channel === 'webpush')?.entries.map((x) => x.kind)).toEqual(['attempt', 'sent']);
    expect(
      (await call(s, 'POST', '/api/v2/ack', { token: frank, body: { mids: [mid], status: 'clicked' } })).status,
    ).toBe(200);
    const decided = await waitFor(
      'the email step to be decided',
      async () => {
        const e = (await explain(mid, admin, '?uid=frank')).body as Explanation;
        const email = e.recipients[0]?.steps.find((x) => x.channel === 'email');
        return email !== undefined && email.state !== 'pending' ? e : undefined;
      },
      20_000,
      100,
    );
    const r1 = decided.recipients[0];
    const email = r1?.steps.find((x) => x.channel === 'email');
    expect(email?.state).toBe('skipped');
    expect(email?.entries.map((x) => `${x.kind}:${x.outcome}`)).toEqual(['skipped:read']);
    expect(r1?.receipts.map((x) => x.status)).toEqual(['clicked']);
    // Every fact names its place in the log, in order: the click before the skip it caused.
    const click = r1?.receipts[0]?.position ?? Infinity;
    expect(click).toBeLessThan(email?.entries[0]?.position ?? 0);
    expect(decided.triage[0]?.position).toBeLessThan(click);
    expect(r1?.revocations).toEqual([]);

    // Who may ask: the sender (admin here), auditors; the recipient and strangers get the same 404 as an unknown id.
    expect((await explain(mid, await token('audrey', ['auditor']))).status).toBe(200);
    expect((await explain(mid, frank)).status).toBe(404);
    expect((await explain(mid, await token('mallory'))).status).toBe(404);
    expect((await explain('no-such-message', admin)).status).toBe(404);
    expect((await call(s, 'GET', `/api/v2/messages/${mid}/deliveries`)).status).toBe(401);
    // A uid the plan never held: no recipients, the plan's size still told.
    const nobody = (await explain(mid, admin, '?uid=zed')).body as Explanation;
    expect(nobody.recipients).toEqual([]);
    expect(nobody.recipientsPlanned).toBe(1);
  });

  it('a plain user who sent a message may explain it; bad parameters are a 400 naming them', async () => {
    const bob = await token('bob');
    const r = await call(s, 'POST', '/api/v2/publish', { token: bob, body: { tid: 'explained', msg: 'hi' } });
    expect(r.status, r.text).toBe(200);
    const mid = r.headers.get('x-message-id') ?? '';
    const mine = await explain(mid, bob);
    expect(mine.status).toBe(200);
    expect((mine.body as Explanation).from).toBe('bob');
    expect((await explain(mid, await token('carol'))).status).toBe(404);
    for (const [query, field] of [
      ['?uid=a/b', 'uid'],
      ['?after=%20', 'after'],
      ['?limit=0', 'limit'],
      ['?limit=201', 'limit'],
      ['?ud=frank', 'ud'],
      ['?uid=a&uid=b', 'uid'],
    ] as const) {
      const bad = await explain(mid, bob, query);
      expect(bad.status, query).toBe(400);
      expect((bad.body as { msg: string }).msg.startsWith(`${field}:`), JSON.stringify(bad.body)).toBe(true);
    }
  });
});
