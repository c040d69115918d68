import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { webPushErrors } from '../standins/webpush.js';
import { call, nodeId, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { allEvents, startStandins, subscriptionId, waitFor, type LogEvent, type Standins } from './standin-env.js';

// Issue 6's crash test: kill -9 the broker while escalations, retries and sends are pending,
// restart it on the same data directory (and node id), and count what the stand-ins got.
//
// At the kill: 33 offline users each have an email escalation pending (the nearline delay
// has not passed), 5 have a web push retry pending (the push service answered 429 with
// Retry-After; the retry comes due while the broker is down), and 3 have a web push in
// flight (the push service holds the request unanswered: claimed, sent, no outcome).
// Dispatch is at-least-once: a step in flight at a crash may be sent again, and nothing
// else may. So: every email exactly once, every push delivered, each retry exactly once,
// and re-sends only for steps whose claim the crash abandoned (measured from the log), at
// most one per such claim.

const SCALE = 0.012;
const NEARLINE_U3_MS = 15 * 60_000 * SCALE; // 10.8 s
const PLAIN = 25;
const THROTTLED = 5;
const HUNG = 3;
const RETRY_AFTER_S = 4;

interface Person {
  readonly uid: string;
  readonly sub: string;
  readonly address: string;
  readonly kind: 'plain' | 'throttled' | 'hung';
}

let standins: Standins;
const dataDir = tempDir('msgxc-e2e-crash-');
let server: Server | undefined;
let admin: string;
afterAll(async () => {
  await server?.stop();
  await standins.close();
  removeDir(dataDir);
});

const env = (): Record<string, string> => ({
  ...standins.env,
  MSGXC_LOG_LEVEL: 'warn',
  MSGXC_SCHEDULER_POLL_MS: '50',
  MSGXC_TRIAGE_TIME_SCALE: String(SCALE),
  // The same node id after the restart: its own stale claims are retaken at once.
  MSGXC_NODE_ID: nodeId('e2e-crash'),
  MSGXC_CHANNEL_TIMEOUT_MS: '20000',
});
const live = (): Server => {
  if (server === undefined) throw new Error('no server');
  return server;
};
const DELIVERY = [
  'DeliveryAttempted',
  'DeliverySucceeded',
  'DeliveryFailed',
  'DeliveryRetryScheduled',
  'DeliveryGivenUp',
  'DeliverySkipped',
];
const deliveryEvents = async (): Promise<LogEvent[]> => allEvents(live(), admin, DELIVERY);
const ofChannel = (events: LogEvent[], type: string, channel: string) =>
  events.filter((e) => e.type === type && e.data['channel'] === channel);

/** Claims that a crash abandoned: a DeliveryAttempted followed by another claim instead of an outcome. */
const abandonedClaims = (events: LogEvent[]): Map<string, number> => {
  // By unit (its key): a step's facts are batched with its group's in one stream.
  const byStream = new Map<string, LogEvent[]>();
  for (const e of events) {
    const unit = String(e.data['key']);
    byStream.set(unit, [...(byStream.get(unit) ?? []), e]);
  }
  const abandoned = new Map<string, number>();
  for (const [stream, list] of byStream) {
    let open = false;
    for (const e of list.sort((a, b) => a.position - b.position)) {
      if (e.type === 'DeliveryAttempted') {
        if (open) abandoned.set(stream, (abandoned.get(stream) ?? 0) + 1);
        open = true;
      } else open = false;
    }
  }
  return abandoned;
};

beforeAll(async () => {
  standins = await startStandins();
  server = await startServer({ dataDir, env: env() });
  admin = await token('root', ['admin']);
});

describe('kill -9 with escalations, retries and sends pending', () => {
  it('after a restart on the same data, each due step happens once at the stand-ins (re-sends only for claims in flight at the kill)', async () => {
    const kinds = [
      ...Array<'plain'>(PLAIN).fill('plain'),
      ...Array<'throttled'>(THROTTLED).fill('throttled'),
      ...Array<'hung'>(HUNG).fill('hung'),
    ];
    const people: Person[] = await Promise.all(
      kinds.map(async (kind, i) => {
        const uid = `crash-${kind}-${i}`;
        const t = await token(uid);
        const s = standins.webpush.subscribe(`sub-${uid}`);
        const address = `${uid}@example.com`;
        expect((await call(live(), 'POST', '/api/v2/enlist', { token: t, body: s })).status).toBe(200);
        expect((await call(live(), 'POST', '/api/v2/profile', { token: t, body: { email: address } })).status).toBe(
          200,
        );
        return { uid, sub: subscriptionId(s.endpoint), address, kind };
      }),
    );
    const send = async (p: Person): Promise<string> => {
      const r = await call(live(), 'POST', '/api/v2/send', {
        token: admin,
        body: { uid: p.uid, msg: `for ${p.uid}`, opts: { urgency: 3 } },
      });
      expect(r.status, r.text).toBe(200);
      return r.headers.get('x-message-id') ?? '';
    };
    for (const p of people) {
      if (p.kind === 'throttled') standins.webpush.recorder.on(p.sub, webPushErrors.throttled(RETRY_AFTER_S), 1);
      if (p.kind === 'hung') standins.webpush.recorder.on(p.sub, { kind: 'hang' }, 1);
    }
    const pushed = people.filter((p) => p.kind !== 'hung');
    const hung = people.filter((p) => p.kind === 'hung');
    const sentAt = Date.now();

    // 30 sends; every push answered (25 delivered, 5 throttled with a retry scheduled).
    await Promise.all(pushed.map(send));
    const retries = await waitFor('30 push outcomes', async () => {
      const events = await deliveryEvents();
      const ok = ofChannel(events, 'DeliverySucceeded', 'webpush').length;
      const scheduled = ofChannel(events, 'DeliveryRetryScheduled', 'webpush');
      return ok === PLAIN && scheduled.length === THROTTLED ? scheduled : undefined;
    });
    // One multicast to 3 more users whose pushes the push service holds unanswered: in
    // flight at the kill. (One message, so its 3 pushes go out in one dispatch pass: a held
    // request blocks the node's scheduler pass until the channel timeout, see the report.)
    const multicast = await call(live(), 'POST', '/api/v2/multicast', {
      token: admin,
      body: { uids: hung.map((p) => p.uid), msg: 'for the held', opts: { urgency: 3 } },
    });
    expect(multicast.status, multicast.text).toBe(200);
    await waitFor('the held pushes to reach the push service', () =>
      hung.every((p) => standins.webpush.recorder.forKey(p.sub).length === 1) ? true : undefined,
    );
    expect(await live().stop('SIGKILL')).toBeNull();
    const killedAt = Date.now();

    // What was pending at the kill, read from the stand-ins (nothing can reach them now).
    const count = (p: Person) => standins.webpush.recorder.forKey(p.sub).length;
    expect(people.map(count)).toEqual(people.map(() => 1));
    expect(standins.sendgrid.recorder.requests).toEqual([]);
    expect(killedAt - sentAt).toBeLessThan(NEARLINE_U3_MS); // the escalations were still pending

    // Stay down until the retries are due, so they fire late, after the restart.
    const retryDue = Math.max(...retries.map((e) => Date.parse(String(e.data['at']))));
    await sleep(Math.max(0, retryDue - Date.now() + 200));
    server = await startServer({ dataDir, env: env() });

    // Settled: every push and every email has its success in the log.
    const events = await waitFor(
      'every push and email delivered',
      async () => {
        const evs = await deliveryEvents();
        return ofChannel(evs, 'DeliverySucceeded', 'webpush').length >= people.length &&
          ofChannel(evs, 'DeliverySucceeded', 'email').length >= people.length
          ? evs
          : undefined;
      },
      NEARLINE_U3_MS + 30_000,
      250,
    );
    const settledAt = Date.now();

    // Each step succeeded once in the log, and the throttled pushes were retried once.
    for (const channel of ['webpush', 'email']) {
      const keys = ofChannel(events, 'DeliverySucceeded', channel).map((e) => String(e.data['key']));
      expect(new Set(keys).size).toBe(keys.length);
      expect(keys).toHaveLength(people.length);
    }
    expect(ofChannel(events, 'DeliveryRetryScheduled', 'webpush')).toHaveLength(THROTTLED);

    // At the stand-ins: one email per address; pushes: one, plus the 429 for the throttled,
    // plus a re-send only where the crash abandoned a claim.
    const abandoned = abandonedClaims(events);
    const streamOf = (p: Person) => [
      ...new Set(
        events
          .filter((e) => e.data['uid'] === p.uid && e.data['channel'] === 'webpush')
          .map((e) => String(e.data['key'])),
      ),
    ];
    const duplicates = people.map((p) => count(p) - (p.kind === 'throttled' ? 2 : 1));
    for (const [i, p] of people.entries()) {
      expect(standins.sendgrid.recorder.forKey(p.address), p.address).toHaveLength(1);
      const [stream] = streamOf(p);
      expect(duplicates[i], p.uid).toBeGreaterThanOrEqual(0);
      expect(duplicates[i], `${p.uid} re-sent more often than the crash abandoned its claim`).toBeLessThanOrEqual(
        abandoned.get(stream ?? '') ?? 0,
      );
    }
    expect(standins.sendgrid.recorder.requests).toHaveLength(people.length);
    expect(standins.sendgrid.recorder.requests.flatMap((r) => r.problems)).toEqual([]);
    // The held pushes were the claims in flight at the kill; each was sent again once.
    expect([...abandoned.keys()].sort()).toEqual(hung.map((p) => streamOf(p)[0]).sort());
    expect(hung.map(count)).toEqual(hung.map(() => 2));
    const totalDuplicates = duplicates.reduce((a, b) => a + b, 0);
    const totalAbandoned = [...abandoned.values()].reduce((a, b) => a + b, 0);
    expect(totalDuplicates).toBe(HUNG);
    expect(totalDuplicates).toBeLessThanOrEqual(totalAbandoned);
    console.info(
      `crash: killed ${String(killedAt - sentAt)} ms after the first send with ${String(people.length)} emails and ${String(THROTTLED)} retries pending, ` +
        `${String(totalAbandoned)} claims in flight; settled ${String(settledAt - killedAt)} ms after the kill; re-sends ${String(totalDuplicates)}, emails ${String(standins.sendgrid.recorder.requests.length)}`,
    );
  });
});
