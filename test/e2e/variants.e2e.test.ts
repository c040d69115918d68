import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { waitFor } from './standin-env.js';
import { assignVariant } from '../../domain/variants.js';
import { openLive, type TestSocket } from './realtime-socket.js';
import { busiestSecond } from '../windows.js';

// A/B variants and per-channel throttling end to end (docs/campaigns.md), on whichever stack
// MSGXC_E2E_STACK names. Eight users with an email address get a two-variant multicast: the
// assignment is read twice from explain (stable), each user's inbox and email (the outbox, which
// records what the provider would have been sent) carry their own variant's text, the funnel
// splits by variant, and the outbox times show email never over its limit in any second.
const LIMIT = 4;
const ENV = {
  MSGXC_TRIAGE_TIME_SCALE: '0.001',
  MSGXC_SCHEDULER_POLL_MS: '50',
  MSGXC_LOG_LEVEL: 'warn',
  MSGXC_THROTTLE_EMAIL: `${String(LIMIT)}/s`,
};
const TEXT: Record<string, string> = { a: 'Spring sale: 20% off', b: 'Spring sale: free shipping' };
const VARIANTS = [
  { name: 'a', msg: TEXT.a, weight: 50 },
  { name: 'b', msg: TEXT.b, weight: 50, subject: 'Free shipping' },
];

interface Explained {
  recipients: { uid: string; variant?: string }[];
}
interface OutboxEntry {
  at: string;
  channel: string;
  deliveryId: string;
  payload: { text?: string; subject?: string };
}
type Stage = 'addressed' | 'sent' | 'delivered' | 'seen' | 'read' | 'clicked';
type VariantFunnel = { variant: string } & Record<Stage, number>;

describe('A/B variants and throttling', () => {
  const dataDir = tempDir();
  let s: Server;
  let admin: string;
  let analyst: string;
  const run = Date.now().toString(36);
  const uids = Array.from({ length: 8 }, (_, i) => `ab${String(i)}-${run}`);
  beforeAll(async () => {
    s = await startServer({ dataDir, env: ENV });
    admin = await token('root', ['admin']);
    analyst = await token('ana', ['analyst']);
    for (const uid of uids) {
      const r = await call(s, 'POST', '/api/v2/profile', {
        token: await token(uid),
        body: { email: `${uid}@example.com` },
      });
      expect(r.status, r.text).toBe(200);
    }
  });
  afterAll(async () => {
    await s.stop();
    removeDir(dataDir);
  });

  it('refuses bad variants with a 400 naming the field', async () => {
    const bad = [
      [{ name: 'a', msg: 'x', weight: 1 }],
      [
        { name: 'a', msg: 'x', weight: 1 },
        { name: 'a', msg: 'y', weight: 1 },
      ],
      [
        { name: 'a', msg: 'x', weight: 0 },
        { name: 'b', msg: 'y', weight: 1 },
      ],
      [
        { name: 'Bad Name', msg: 'x', weight: 1 },
        { name: 'b', msg: 'y', weight: 1 },
      ],
      'ab',
    ];
    for (const variants of bad) {
      const r = await call(s, 'POST', '/api/v2/multicast', { token: admin, body: { uids, msg: 'x', variants } });
      expect(r.status, r.text).toBe(400);
      expect(r.text).toContain('variants');
    }
    const by = await call(s, 'GET', '/api/v2/analytics/funnel?since=2020-01-01T00:00:00Z&by=variant', {
      token: analyst,
    });
    expect(by.status, by.text).toBe(400);
    expect(by.text).toContain('by');
  });

  it('assigns each recipient a stable variant, delivers its text on every channel, splits the funnel by variant, and keeps email under its limit', async () => {
    // Explain, twice: every recipient has a variant, the same both times, and the one the
    // weighted hash of (mid, uid) gives. The mid is the server's, so 1 in 128 of them puts all
    // eight users in one variant: such a message is sent again (its emails only add to the
    // throttle's queue; every check below is on the last mid).
    const explain = async (mid: string): Promise<Map<string, string>> => {
      const r = await call(s, 'GET', `/api/v2/messages/${mid}/deliveries?limit=200`, { token: admin });
      expect(r.status, r.text).toBe(200);
      return new Map((r.body as Explained).recipients.map((x) => [x.uid, x.variant ?? '']));
    };
    let mid = '';
    let first = new Map<string, string>();
    for (let attempt = 0; attempt < 4 && new Set(first.values()).size < 2; attempt += 1) {
      const sent = await call(s, 'POST', '/api/v2/multicast', {
        token: admin,
        body: { uids, msg: 'Spring sale', variants: VARIANTS },
      });
      expect(sent.status, sent.text).toBe(200);
      mid = sent.headers.get('x-message-id') ?? '';
      const sentMid = mid;
      first = await waitFor(
        'every recipient triaged',
        async () => {
          const m = await explain(sentMid);
          return uids.every((u) => m.has(u)) ? m : undefined;
        },
        30_000,
        100,
      );
      expect(await explain(mid)).toEqual(first);
      for (const uid of uids) expect(first.get(uid)).toBe(assignVariant(VARIANTS, mid, uid).name);
    }
    expect(new Set(first.values()).size).toBe(2);

    // The inbox: each recipient reads their variant's text and never the other's.
    for (const uid of uids) {
      const r = await call(s, 'GET', '/api/v2/inbox', { token: await token(uid) });
      const m = (r.body as { messages: { mid: string; msg: string; opts: Record<string, unknown> }[] }).messages.find(
        (x) => x.mid === mid,
      );
      expect(m?.msg).toBe(TEXT[first.get(uid) ?? '']);
      expect(m?.opts).not.toHaveProperty('variants');
    }

    // Email: what the provider would have been sent carries the recipient's variant; the times
    // the outbox recorded never hold more than LIMIT in one second.
    const emails = await waitFor(
      'an email to every recipient',
      async () => {
        const r = await call(s, 'GET', `/api/v2/outbox?mid=${mid}&channel=email&limit=200`, { token: admin });
        const entries = (r.body as { entries: OutboxEntry[] }).entries;
        return entries.length === uids.length ? entries : undefined;
      },
      60_000,
      100,
    );
    for (const e of emails) {
      const uid = uids.find((u) => e.deliveryId.includes(`/${u}/`)) ?? '';
      const variant = first.get(uid) ?? '';
      expect(e.payload.text ?? '').toContain(TEXT[variant]);
      if (variant === 'b') expect(e.payload.subject).toBe('Free shipping');
    }
    const times = emails.map((e) => Date.parse(e.at));
    expect(busiestSecond(times)).toBeLessThanOrEqual(LIMIT);
    // Paced, not just slow by chance: eight emails at four a second span more than a second.
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(1000);

    // Reads by two recipients of each variant, then the funnel per variant.
    const byVariant = (v: string) => uids.filter((u) => first.get(u) === v);
    const readers = [...byVariant('a').slice(0, 1), ...byVariant('b').slice(0, 2)];
    for (const uid of readers) {
      const r = await call(s, 'POST', '/api/v2/ack', {
        token: await token(uid),
        body: { mids: [mid], status: 'read' },
      });
      expect(r.status, r.text).toBe(200);
    }
    const expected = (['a', 'b'] as const).map((v) => ({
      variant: v,
      addressed: byVariant(v).length,
      read: readers.filter((u) => first.get(u) === v).length,
    }));
    const funnel = await waitFor(
      'the funnel per variant',
      async () => {
        const r = await call(s, 'GET', `/api/v2/analytics/funnel?mid=${mid}&by=variant`, { token: analyst });
        expect(r.status, r.text).toBe(200);
        const vs = (r.body as { variants?: VariantFunnel[] }).variants ?? [];
        const now = vs.map((v) => ({ variant: v.variant, addressed: v.addressed, read: v.read }));
        return JSON.stringify(now) === JSON.stringify(expected) && vs.every((v) => v.sent === v.addressed)
          ? vs
          : undefined;
      },
      30_000,
      200,
    );
    expect(funnel.map((v) => v.variant)).toEqual(['a', 'b']);
    // Without by=variant the answer is as before: no variants section.
    const plain = await call(s, 'GET', `/api/v2/analytics/funnel?mid=${mid}`, { token: analyst });
    expect(plain.body).not.toHaveProperty('variants');
  });

  it('live websocket sessions get their own variant, of a multicast and of a broadcast (per-session rewrite)', async () => {
    const sockets = new Map<string, TestSocket>();
    for (const uid of uids) sockets.set(uid, await openLive(s, await token(uid)));
    try {
      const assigned = async (mid: string): Promise<Map<string, string>> =>
        waitFor(
          `the assignment of ${mid}`,
          async () => {
            const r = await call(s, 'GET', `/api/v2/messages/${mid}/deliveries?limit=200`, { token: admin });
            const m = new Map((r.body as Explained).recipients.map((x) => [x.uid, x.variant ?? '']));
            return uids.every((u) => m.has(u)) ? m : undefined;
          },
          30_000,
          100,
        );
      for (const [path, body] of [
        ['/api/v2/multicast', { uids, msg: 'Live sale', variants: VARIANTS }],
        ['/api/v2/broadcast', { msg: 'Live sale for everyone', variants: VARIANTS }],
      ] as const) {
        const r = await call(s, 'POST', path, { token: admin, body });
        expect(r.status, r.text).toBe(200);
        const mid = r.headers.get('x-message-id') ?? '';
        const variantOf = await assigned(mid);
        for (const [uid, sock] of sockets) {
          const f = await sock.next((x) => x.type === 'message' && x['mid'] === mid, 20_000);
          expect(f['msg'], `${path} to ${uid}`).toBe(TEXT[variantOf.get(uid) ?? '']);
          expect(f['opts']).not.toHaveProperty('variants');
        }
      }
    } finally {
      for (const sock of sockets.values()) await sock.close();
    }
  });
});
