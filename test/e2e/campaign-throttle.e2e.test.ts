import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { waitFor } from './standin-env.js';
import { type OutboxEntry, outboxOf, usersWithEmail } from './outbox-emails.js';
import { busiestSecond } from '../windows.js';

// Throttling per campaign end to end (docs/campaigns.md, "Throttling per campaign"), on
// whichever stack MSGXC_E2E_STACK names. A multicast with `opts.throttle.email = 3` to fifteen
// users with an email address: the outbox's times never hold more than three of its emails in
// a second. A plain multicast sent right after it, with one email lane only
// (MSGXC_DISPATCH_CONCURRENCY email=1, the hardest case: a campaign job waiting for tokens holds
// that lane), reaches its recipients' outbox before the campaign is done. A bad throttle is a
// 400 naming the field.
const RATE = 3;
const ENV = {
  MSGXC_TRIAGE_TIME_SCALE: '0.001',
  MSGXC_SCHEDULER_POLL_MS: '50',
  MSGXC_LOG_LEVEL: 'warn',
  MSGXC_DISPATCH_CONCURRENCY: 'email=1',
};

describe('throttling per campaign', () => {
  const dataDir = tempDir();
  let s: Server;
  let admin: string;
  const run = Date.now().toString(36);
  const campaign = Array.from({ length: 15 }, (_, i) => `ct${String(i)}-${run}`);
  const others = Array.from({ length: 3 }, (_, i) => `co${String(i)}-${run}`);
  beforeAll(async () => {
    s = await startServer({ dataDir, env: ENV });
    admin = await token('root', ['admin']);
    await usersWithEmail(s, [...campaign, ...others]);
  });
  afterAll(async () => {
    await s.stop();
    removeDir(dataDir);
  });

  const outbox = (mid: string): Promise<OutboxEntry[]> => outboxOf(s, admin, mid);

  it('refuses a bad opts.throttle with a 400 naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ email: 0 }, 'opts.throttle.email'],
      [{ email: -1 }, 'opts.throttle.email'],
      [{ email: 2.5 }, 'opts.throttle.email'],
      [{ email: 1e9 }, 'opts.throttle.email'],
      [{ fax: 3 }, 'opts.throttle.fax'],
      ['fast', 'opts.throttle'],
    ];
    for (const [throttle, field] of cases)
      for (const [path, body] of [
        ['/api/v2/multicast', { uids: others, msg: 'x', opts: { throttle } }],
        ['/api/v2/broadcast', { msg: 'x', opts: { throttle } }],
      ] as const) {
        const r = await call(s, 'POST', path, { token: admin, body });
        expect(r.status, `${path} ${JSON.stringify(throttle)}: ${r.text}`).toBe(400);
        expect(r.text).toContain(field);
      }
  });

  it('keeps a campaign to its own rate, while a message sent after it is delivered at once', async () => {
    const sent = await call(s, 'POST', '/api/v2/multicast', {
      token: admin,
      body: { uids: campaign, msg: 'Spring sale', opts: { throttle: { email: RATE, sms: 1 } } },
    });
    expect(sent.status, sent.text).toBe(200);
    const mid = sent.headers.get('x-message-id') ?? '';
    // The campaign is being paced: its first email is out.
    await waitFor(
      'the first campaign email',
      async () => ((await outbox(mid)).length > 0 ? true : undefined),
      30_000,
      50,
    );
    const plainAt = Date.now();
    const plain = await call(s, 'POST', '/api/v2/multicast', {
      token: admin,
      body: { uids: others, msg: 'Your code: 1234' },
    });
    expect(plain.status, plain.text).toBe(200);
    const plainMid = plain.headers.get('x-message-id') ?? '';
    const plainEmails = await waitFor(
      'the plain message emailed',
      async () => {
        const e = await outbox(plainMid);
        return e.length === others.length ? e : undefined;
      },
      30_000,
      50,
    );
    const plainDoneAt = Date.now();
    const emails = await waitFor(
      'every campaign email',
      async () => {
        const e = await outbox(mid);
        return e.length === campaign.length ? e : undefined;
      },
      60_000,
      100,
    );
    const times = emails.map((e) => Date.parse(e.at));
    expect(busiestSecond(times)).toBeLessThanOrEqual(RATE);
    // Paced, not slow by chance: fifteen at three a second span more than three seconds.
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(3000);
    // The plain message was not queued behind the campaign: out before its last email (the
    // campaign had more than four seconds to go), and within about a campaign job (a second)
    // plus its triage of being sent, with slack for a loaded machine.
    const plainLast = Math.max(...plainEmails.map((e) => Date.parse(e.at)));
    expect(plainLast).toBeLessThan(Math.max(...times));
    expect(plainDoneAt - plainAt).toBeLessThan(4000);
    // The limit is recorded with the message: anyone reading it sees it.
    const m = await call(s, 'GET', `/api/v2/messages/${mid}`, { token: admin });
    expect(m.status, m.text).toBe(200);
    expect((m.body as { opts: Record<string, unknown> }).opts['throttle']).toEqual({ email: RATE, sms: 1 });
  });
});
