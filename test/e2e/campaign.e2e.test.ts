import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { allEvents, waitFor } from './standin-env.js';

// Campaign controls end to end (docs/campaigns.md), on whichever stack MSGXC_E2E_STACK names.
// The server runs on the real clock, so the test picks its times around now: quiet hours that
// cover now, and a local schedule at the next minute boundary (due within a minute). What it
// asserts is the decision events (MessagePublished.scheduled, MessageTriaged steps with their
// times and `deferred`), and the outbox entries that show a timer fired.
const ENV = { MSGXC_TRIAGE_TIME_SCALE: '0.002', MSGXC_SCHEDULER_POLL_MS: '50', MSGXC_LOG_LEVEL: 'warn' };
const WEB_PUSH = {
  endpoint: 'https://fcm.googleapis.com/fcm/send/campaign-e2e',
  keys: {
    p256dh: 'BN81HfHxzt4V4lXDV_2ia8Rl_QvqofvoNI7_MOHCiOMEYuFXFNDBOJzKCCj2nzK5luwnH6rvBCN2jx7lNHpraaw',
    auth: '0ywNrBxQ-rm4skkHDJB5lw',
  },
};
const MINUTE = 60_000;
const hhmm = (ms: number): string => new Date(ms).toISOString().slice(11, 16);

interface Step {
  channel: string;
  at: string;
  deferred?: { reason: string; from: string };
}
interface Planned {
  uid: string;
  steps: Step[];
}

describe('campaign controls', () => {
  const dataDir = tempDir();
  let s: Server;
  let admin: string;
  const run = Date.now().toString(36);
  beforeAll(async () => {
    s = await startServer({ dataDir, env: ENV });
    admin = await token('root', ['admin']);
  });
  afterAll(async () => {
    await s.stop();
    removeDir(dataDir);
  });

  const user = async (name: string, profile: Record<string, unknown>): Promise<string> => {
    const uid = `${name}-${run}`;
    const t = await token(uid);
    expect(
      (
        await call(s, 'POST', '/api/v2/enlist', {
          token: t,
          body: { ...WEB_PUSH, endpoint: `${WEB_PUSH.endpoint}/${uid}` },
        })
      ).status,
    ).toBe(200);
    const r = await call(s, 'POST', '/api/v2/profile', { token: t, body: profile });
    expect(r.status, r.text).toBe(200);
    return uid;
  };
  const plans = async (mid: string): Promise<Map<string, Step[]>> => {
    const out = new Map<string, Step[]>();
    for (const e of await allEvents(s, admin, ['MessageTriaged']))
      if (e.data['mid'] === mid) for (const r of e.data['recipients'] as Planned[]) out.set(r.uid, r.steps);
    return out;
  };
  const planned = (mid: string, uids: readonly string[]) =>
    waitFor(
      `the plan of ${mid}`,
      async () => {
        const p = await plans(mid);
        return uids.every((u) => p.has(u)) ? p : undefined;
      },
      90_000,
    );
  const outbox = async (mid: string): Promise<{ channel: string }[]> =>
    (
      (await call(s, 'GET', `/api/v2/outbox?mid=${mid}&limit=200`, { token: admin })).body as {
        entries: { channel: string }[];
      }
    ).entries;

  it('bad zones and wall-clock times are 400s naming the field', async () => {
    const t = await token(`bad-${run}`);
    for (const [body, field] of [
      [{ timezone: 'Mars/Olympus' }, 'timezone'],
      [{ quietHours: { from: '25:00', to: '07:00' } }, 'quietHours'],
      [{ quietHours: { from: '22:00', to: '07:00', timezone: '+02:00' } }, 'quietHours'],
    ] as const) {
      const r = await call(s, 'POST', '/api/v2/profile', { token: t, body });
      expect(r.status, r.text).toBe(400);
      expect(r.text).toContain(field);
    }
    const r = await call(s, 'POST', '/api/v2/send', {
      token: admin,
      body: { uid: `bad-${run}`, msg: 'x', scheduled: { at: '09:00', timezone: 'Nowhere/Land' } },
    });
    expect(r.status, r.text).toBe(400);
    expect(r.text).toContain('scheduled');
  });

  it('quiet hours defer a non-urgent push to their end (recorded with the reason); urgency 4 goes at once', async () => {
    const now = Date.now();
    const quiet = { from: hhmm(now - 60 * MINUTE), to: hhmm(now + 60 * MINUTE) };
    const uid = await user('night', { timezone: 'UTC', quietHours: quiet });
    const read = await call(s, 'GET', '/api/v2/profile', { token: await token(uid) });
    expect(read.body).toMatchObject({ timezone: 'UTC', quietHours: quiet });

    const normal = await call(s, 'POST', '/api/v2/send', { token: admin, body: { uid, msg: 'newsletter' } });
    expect(normal.status, normal.text).toBe(200);
    const mid = normal.headers.get('x-message-id') ?? '';
    const steps = (await planned(mid, [uid])).get(uid) ?? [];
    const push = steps.find((x) => x.channel === 'webpush');
    expect(push?.deferred?.reason).toBe('quiet-hours');
    const end = Date.parse(`${new Date(now + 60 * MINUTE).toISOString().slice(0, 16)}:00.000Z`);
    expect(Date.parse(push?.at ?? '')).toBe(end);
    expect(Date.parse(push?.deferred?.from ?? '')).toBeLessThan(end);

    const urgent = await call(s, 'POST', '/api/v2/send', {
      token: admin,
      body: { uid, msg: 'your account', opts: { urgency: 4 } },
    });
    const umid = urgent.headers.get('x-message-id') ?? '';
    const usteps = (await planned(umid, [uid])).get(uid) ?? [];
    expect(usteps.find((x) => x.channel === 'webpush')?.deferred).toBeUndefined();
    await waitFor('the urgent push in the outbox', async () =>
      (await outbox(umid)).some((e) => e.channel === 'webpush') ? true : undefined,
    );
  });

  it('a recipient-local schedule reaches each recipient at that time in their own zone', async () => {
    const at = Math.ceil((Date.now() + 5_000) / MINUTE) * MINUTE; // the next minute boundary, UTC
    const london = await user('utc', { timezone: 'UTC' });
    const tokyo = await user('tokyo', { timezone: 'Asia/Tokyo' });
    const nobody = await user('nozone', {});
    const r = await call(s, 'POST', '/api/v2/multicast', {
      token: admin,
      body: {
        uids: [london, tokyo, nobody],
        msg: 'good morning',
        scheduled: { at: hhmm(at), timezone: 'recipient', fallback: 'America/New_York' },
      },
    });
    expect(r.status, r.text).toBe(200);
    const mid = r.headers.get('x-message-id') ?? '';
    const published = (await allEvents(s, admin, ['MessagePublished'])).find((e) => e.data['mid'] === mid);
    expect(published?.data['scheduled']).toBe(new Date(at).toISOString());
    expect(published?.data['local']).toEqual({ at: hhmm(at), timezone: 'recipient', fallback: 'America/New_York' });

    const p = await planned(mid, [london, tokyo, nobody]);
    const pushAt = (uid: string): number => Date.parse(p.get(uid)?.find((x) => x.channel === 'webpush')?.at ?? '');
    // Due now: the chain starts when triage runs, a few milliseconds after the due time.
    expect(pushAt(london)).toBeGreaterThanOrEqual(at);
    expect(pushAt(london)).toBeLessThan(at + MINUTE);
    // Tokyo is UTC+9 (no DST): the same wall-clock time comes 15 h later.
    expect(pushAt(tokyo)).toBe(at + 15 * 60 * MINUTE);
    // No zone: the fallback's (New York, UTC-4 or -5) wall-clock time, 4 or 5 hours later.
    expect([4, 5].map((h) => at + h * 60 * MINUTE)).toContain(pushAt(nobody));
    // The timer of the recipient whose time has come fired.
    await waitFor('the push to the UTC recipient', async () =>
      (await outbox(mid)).some((e) => e.channel === 'webpush') ? true : undefined,
    );
  });

  it('an imported time zone is the profile time zone: a recipient-local schedule uses it, a later profile change wins', async () => {
    const imported = `imp-tokyo-${run}`;
    const changed = `imp-moved-${run}`;
    const lines = [imported, changed].map((uid) => JSON.stringify({ uid, timezone: 'Asia/Tokyo', locale: 'ja-JP' }));
    const imp = await call(s, 'POST', '/api/v2/users/import', {
      token: admin,
      raw: `${lines.join('\n')}\n`,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(imp.status, imp.text).toBe(200);
    expect(imp.body).toMatchObject({ linesRead: 2, usersWritten: 2, errors: 0 });
    // One field: the profile shows the imported zone at the top level, not among the attributes.
    const profile = await call(s, 'GET', `/api/v2/users/${imported}/profile`, { token: admin });
    expect(profile.body).toMatchObject({ timezone: 'Asia/Tokyo', attributes: { locale: 'ja-JP' } });
    expect((profile.body as { attributes: Record<string, unknown> }).attributes).not.toHaveProperty('timezone');
    // An import line's zone is checked like the profile's, and a second copy in attributes is refused.
    const bad = await call(s, 'POST', '/api/v2/users/import', {
      token: admin,
      raw: `${JSON.stringify({ uid: `imp-bad-${run}`, timezone: 'Mars/Olympus' })}\n`,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(bad.body).toMatchObject({ errors: 1, firstErrors: [{ line: 1, field: 'timezone' }] });
    const dup = await call(s, 'POST', '/api/v2/profile', {
      token: await token(`imp-bad-${run}`),
      body: { attributes: { timezone: 'Asia/Tokyo' } },
    });
    expect(dup.status, dup.text).toBe(400);
    expect(dup.text).toContain('attributes.timezone');
    // The user then moves: their own profile change after the import wins.
    for (const uid of [imported, changed]) await user(uid.slice(0, -run.length - 1), {});
    const move = await call(s, 'POST', '/api/v2/profile', { token: await token(changed), body: { timezone: 'UTC' } });
    expect(move.status, move.text).toBe(200);

    const at = Math.ceil((Date.now() + 5_000) / MINUTE) * MINUTE;
    const r = await call(s, 'POST', '/api/v2/multicast', {
      token: admin,
      body: {
        uids: [imported, changed],
        msg: 'good morning, importees',
        scheduled: { at: hhmm(at), timezone: 'recipient', fallback: 'America/New_York' },
      },
    });
    expect(r.status, r.text).toBe(200);
    const mid = r.headers.get('x-message-id') ?? '';
    const p = await planned(mid, [imported, changed]);
    const pushAt = (uid: string): number => Date.parse(p.get(uid)?.find((x) => x.channel === 'webpush')?.at ?? '');
    expect(pushAt(imported)).toBe(at + 15 * 60 * MINUTE);
    expect(pushAt(changed)).toBeGreaterThanOrEqual(at);
    expect(pushAt(changed)).toBeLessThan(at + MINUTE);
  });
});
