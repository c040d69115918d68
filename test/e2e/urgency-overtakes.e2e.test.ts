import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { waitFor } from './standin-env.js';
import { type OutboxEntry, outboxOf, usersWithEmail } from './outbox-emails.js';

// Issue 13's "an urgency-4 message overtakes a running broadcast", end to end on whichever stack
// MSGXC_E2E_STACK names (urgency lanes, docs/campaigns.md; the unit order is asserted in
// test/integration/urgency-lanes.int.test.ts). The email channel is limited to four sends a
// second (MSGXC_THROTTLE_EMAIL) with one lane (MSGXC_DISPATCH_CONCURRENCY email=1), and a
// broadcast to 24 users with an email address is being paced by it; an urgency-4 message to one
// user sent once the broadcast's first email is out reaches the outbox while the broadcast still
// has seconds to go, not after its last email. The same message at the broadcast's urgency waits
// its turn behind it (checked: this case fails so).
const RATE = 4;
const ENV = {
  MSGXC_TRIAGE_TIME_SCALE: '0.001',
  MSGXC_SCHEDULER_POLL_MS: '50',
  MSGXC_LOG_LEVEL: 'warn',
  MSGXC_DISPATCH_CONCURRENCY: 'email=1',
  MSGXC_THROTTLE_EMAIL: `${String(RATE)}/s`,
};

describe('an urgency-4 message during a running broadcast', () => {
  const dataDir = tempDir();
  let s: Server;
  let admin: string;
  const run = Date.now().toString(36);
  const crowd = Array.from({ length: 24 }, (_, i) => `uo${String(i)}-${run}`);
  const vip = `vip-${run}`;
  beforeAll(async () => {
    s = await startServer({ dataDir, env: ENV });
    admin = await token('root', ['admin']);
    await usersWithEmail(s, [...crowd, vip]);
  });
  afterAll(async () => {
    await s.stop();
    removeDir(dataDir);
  });

  const outbox = (mid: string): Promise<OutboxEntry[]> => outboxOf(s, admin, mid);

  it('overtakes it: out within seconds, before the broadcast is done', async () => {
    const b = await call(s, 'POST', '/api/v2/broadcast', {
      token: admin,
      body: { msg: 'Spring sale', opts: { urgency: 2 } },
    });
    expect(b.status, b.text).toBe(200);
    const broadcast = b.headers.get('x-message-id') ?? '';
    await waitFor(
      'the first broadcast email',
      async () => ((await outbox(broadcast)).length > 0 ? true : undefined),
      30_000,
      50,
    );
    const sentAt = Date.now();
    const u = await call(s, 'POST', '/api/v2/send', {
      token: admin,
      body: { uid: vip, msg: 'Fraud alert', opts: { urgency: 4 } },
    });
    expect(u.status, u.text).toBe(200);
    const urgent = u.headers.get('x-message-id') ?? '';
    const [alert] = await waitFor(
      'the urgent email',
      async () => {
        const e = await outbox(urgent);
        return e.length > 0 ? e : undefined;
      },
      30_000,
      50,
    );
    const urgentDoneAt = Date.now();
    // Every user the broadcast knew of: the crowd and the vip (root never had a profile).
    const emails = await waitFor(
      'every broadcast email',
      async () => {
        const e = await outbox(broadcast);
        return e.length >= crowd.length + 1 ? e : undefined;
      },
      60_000,
      100,
    );
    const times = emails.map((e) => Date.parse(e.at));
    // Paced, so it was still running: 25 at four a second span five seconds and more.
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(4000);
    // The outbox lists addresses masked (the first letter and the domain).
    expect(alert?.to).toMatch(/^v.*@example\.com$/);
    expect(Date.parse(alert?.at ?? '')).toBeLessThan(Math.max(...times));
    // Within about a job's wait for the lane plus its own triage, with slack for a loaded machine.
    expect(urgentDoneAt - sentAt).toBeLessThan(4000);
    // Emails the broadcast sent after the alert: it overtook them, not just the tail.
    expect(times.filter((t) => t > Date.parse(alert?.at ?? '')).length).toBeGreaterThanOrEqual(5);
  }, 120_000);
});
