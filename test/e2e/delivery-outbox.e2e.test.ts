import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { allEvents, waitFor } from './standin-env.js';
import { isProductionStack } from './stack.js';

// The whole delivery flow on the embedded defaults: without provider credentials every
// channel is the outbox, so what triage and dispatch decide is visible at GET /api/v2/outbox.
// Delays are the urgency table's, compressed: normal urgency's 15-minute nearline delay
// becomes 1.8 s.
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

interface Entry {
  id: number;
  channel: string;
  mid: string;
}

// Three times on the embedded stack: the reactors on the main thread (the default), in their worker
// thread (MSGXC_REACTORS_THREAD=true: reads of its own, appends through the main thread's writer,
// presence over the thread bus; delivery/README.md "Where they run"), and split over two worker
// threads (MSGXC_REACTORS_THREAD=split: triage on one, dispatch and the scheduler on the other; a
// scheduled message's timer is set by triage's thread and fired by dispatch's). The production
// stack has no reactors' thread (a NATS bus), so it runs the first only.
const THREAD_SETTING: Readonly<Record<string, string>> = {
  'main thread': 'false',
  'worker thread': 'true',
  'two worker threads': 'split',
};
const MODES = isProductionStack() ? ['main thread'] : Object.keys(THREAD_SETTING);

describe.each(MODES)('delivery on the embedded defaults (outbox channels), reactors on the %s', (mode) => {
  const env = { ...ENV, MSGXC_REACTORS_THREAD: THREAD_SETTING[mode] ?? 'false' };
  const dataDir = tempDir();
  let s: Server;
  let admin: string;
  beforeAll(async () => {
    s = await startServer({ dataDir, env });
    admin = await token('root', ['admin']);
  });
  afterAll(async () => {
    await s.stop();
    removeDir(dataDir);
  });

  const outbox = async (mid: string): Promise<Entry[]> =>
    ((await call(s, 'GET', `/api/v2/outbox?mid=${mid}&limit=200`, { token: admin })).body as { entries: Entry[] })
      .entries;
  const until = async <T>(get: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 20_000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await get();
      if (ok(v)) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const offlineUser = async (uid: string): Promise<string> => {
    const t = await token(uid);
    expect((await call(s, 'POST', '/api/v2/enlist', { token: t, body: WEB_PUSH })).status).toBe(200);
    expect((await call(s, 'POST', '/api/v2/profile', { token: t, body: { email: `${uid}@example.com` } })).status).toBe(
      200,
    );
    return t;
  };
  const send = async (uid: string, extra: Record<string, unknown> = {}): Promise<string> => {
    const r = await call(s, 'POST', '/api/v2/send', { token: admin, body: { uid, msg: `hello ${uid}`, ...extra } });
    expect(r.status, r.text).toBe(200);
    return r.headers.get('x-message-id') ?? '';
  };

  it('an offline user gets web push at once, and email only after the nearline delay', async () => {
    await offlineUser('erin');
    const mid = await send('erin');
    const first = await until(
      () => outbox(mid),
      (e) => e.some((x) => x.channel === 'webpush'),
      'the web push',
    );
    expect(first.map((e) => e.channel)).not.toContain('email');
    const later = await until(
      () => outbox(mid),
      (e) => e.some((x) => x.channel === 'email'),
      'the email',
    );
    const push = later.find((e) => e.channel === 'webpush');
    const email = later.find((e) => e.channel === 'email');
    expect(push !== undefined && email !== undefined && push.id < email.id).toBe(true);
  });

  // Every decision about a message's steps, from the log: `channel:event[:reason]`.
  const decisions = async (mid: string): Promise<string[]> =>
    (await allEvents(s, admin, ['DeliverySucceeded', 'DeliverySkipped', 'DeliveryGivenUp', 'DeliveryFailed']))
      .filter((e) => e.data['mid'] === mid)
      .map((e) =>
        [String(e.data['channel']), e.type, ...(e.type === 'DeliverySkipped' ? [String(e.data['reason'])] : [])].join(
          ':',
        ),
      )
      .sort();

  it('no email once the push was clicked: the email step is skipped, and the log says why', async () => {
    const t = await offlineUser('frank');
    const mid = await send('frank');
    await until(
      () => outbox(mid),
      (e) => e.some((x) => x.channel === 'webpush'),
      'the web push',
    );
    expect((await call(s, 'POST', '/api/v2/ack', { token: t, body: { mids: [mid], status: 'clicked' } })).status).toBe(
      200,
    );
    // The email step comes due after the nearline delay and is decided then: wait for that decision.
    const decided = await waitFor(
      'the email step decision',
      async () => {
        const d = await decisions(mid);
        return d.some((x) => x.startsWith('email:')) ? d : undefined;
      },
      20_000,
      100,
    );
    expect(decided).toEqual(['email:DeliverySkipped:read', 'webpush:DeliverySucceeded']);
    expect((await outbox(mid)).map((e) => e.channel)).toEqual(['webpush']);
  });

  it('a scheduled message is delivered when due after a restart in between; a cancelled one never', async () => {
    await offlineUser('hank');
    const due = Date.now() + 2500;
    const kept = await send('hank', { scheduled: due });
    const cancelled = await send('hank', { scheduled: due });
    expect((await call(s, 'POST', '/api/v2/cancel', { token: admin, body: { mid: cancelled } })).status).toBe(200);
    const upcoming = (await call(s, 'GET', '/api/v2/messages?scheduled=upcoming', { token: admin })).body as {
      messages: { mid: string }[];
    };
    expect(upcoming.messages.map((m) => m.mid)).toContain(kept);
    expect(upcoming.messages.map((m) => m.mid)).not.toContain(cancelled);
    await s.stop();
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now()) + 500));
    s = await startServer({ dataDir, env });
    await until(
      () => outbox(kept),
      (e) => e.some((x) => x.channel === 'webpush'),
      'the scheduled push after the restart',
    );
    // The scheduler's pass over that due time has run (it fired `kept`, due at the same moment).
    // The cancelled one was decided by its MessageCancelled event: the scheduler dropped its
    // timer, so nothing was ever triaged or attempted for it (no event records a non-firing).
    const about = async (mid: string): Promise<string[]> =>
      (await allEvents(s, admin)).filter((e) => e.data['mid'] === mid).map((e) => e.type);
    expect(await about(kept)).toEqual(
      expect.arrayContaining([
        'MessagePublished',
        'MessageDue',
        'MessageTriaged',
        'DeliveryAttempted',
        'DeliverySucceeded',
      ]),
    );
    expect(await about(cancelled)).toEqual(['MessagePublished', 'MessageCancelled']);
    expect(await outbox(cancelled)).toEqual([]);
    const recent = (await call(s, 'GET', '/api/v2/messages?scheduled=recent', { token: admin })).body as {
      messages: { mid: string }[];
    };
    expect(recent.messages.map((m) => m.mid)).toContain(kept);
    expect((await call(s, 'GET', '/api/v2/messages?scheduled=later', { token: admin })).status).toBe(400);
  });
});
