import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, nodeId, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { isProductionStack, stackEnv } from './stack.js';
import { allEvents, startStandins, subscriptionId, waitFor, type LogEvent, type Standins } from './standin-env.js';

// Node roles (issue 15): one API node (MSGXC_ROLE=api: HTTP and websockets, no delivery) and
// two reactor processes (MSGXC_ROLE=reactors and `msgxc reactors`: delivery, no API) on one
// JetStream log, with the web push stand-in as the provider that counts what it receives.
// The reactors share the sends by leased claims; one of them is killed with SIGKILL while it
// holds pushes the push service has not answered, and the other takes them over when their
// leases end. Every recipient is delivered to exactly once (one answered push each), a push is
// re-sent only where the killed process's claim was in flight, and the API node sends nothing.
// Production stack only (vitest.config.ts): a split deployment needs a log every node shares.

const PLAIN = 16;
const HELD = 6;
// The held pushes must all be in flight at once (a slot per push, and a channel timeout well
// above the time they take to go out), and a lease above the channel timeout (docs/production.md).
const LEASE_MS = 12_000;
const CHANNEL_TIMEOUT_MS = 8_000;

interface Person {
  readonly uid: string;
  readonly sub: string;
}

const DELIVERY = [
  'DeliveryAttempted',
  'DeliverySucceeded',
  'DeliveryFailed',
  'DeliveryRetryScheduled',
  'DeliverySkipped',
];
const byStream = (events: readonly LogEvent[]): Map<string, LogEvent[]> => {
  const out = new Map<string, LogEvent[]>();
  for (const e of events) out.set(e.stream, [...(out.get(e.stream) ?? []), e]);
  for (const list of out.values()) list.sort((a, b) => a.revision - b.revision);
  return out;
};
/** Streams whose claim was followed by another claim instead of an outcome: abandoned by a crash. */
const abandoned = (events: readonly LogEvent[]): Map<string, LogEvent> => {
  const out = new Map<string, LogEvent>();
  for (const [stream, list] of byStream(events)) {
    let open: LogEvent | undefined;
    for (const e of list) {
      if (e.type === 'DeliveryAttempted' && open !== undefined) out.set(stream, open);
      open = e.type === 'DeliveryAttempted' ? e : undefined;
    }
  }
  return out;
};

describe('an API node and two reactor processes on one log', () => {
  const shared = tempDir('msgxc-roles-shared-');
  const dirs = { api: tempDir(), r1: tempDir(), r2: tempDir() };
  const nodes = { api: nodeId('roles-api'), r1: nodeId('roles-r1'), r2: nodeId('roles-r2') };
  let standins: Standins;
  let api: Server;
  const reactors = new Map<string, Server>();
  let admin: string;

  const env = (node: string, extra: Record<string, string> = {}): Record<string, string> => ({
    ...standins.env,
    ...stackEnv(shared),
    MSGXC_NODE_ID: node,
    MSGXC_LOG_LEVEL: 'warn',
    MSGXC_SCHEDULER_POLL_MS: '50',
    MSGXC_TRIAGE_TIME_SCALE: '0.01',
    MSGXC_DISPATCH_LEASE_MS: String(LEASE_MS),
    MSGXC_CHANNEL_TIMEOUT_MS: String(CHANNEL_TIMEOUT_MS),
    MSGXC_DISPATCH_CONCURRENCY: `webpush=${String(2 * HELD)}`,
    MSGXC_RETRY_BASE_MS: '200',
    ...extra,
  });

  beforeAll(async () => {
    if (!isProductionStack()) throw new Error('reactor-nodes.e2e runs on the production stack only');
    standins = await startStandins();
    api = await startServer({ dataDir: dirs.api, env: env(nodes.api, { MSGXC_ROLE: 'api' }) });
    reactors.set(nodes.r1, await startServer({ dataDir: dirs.r1, env: env(nodes.r1, { MSGXC_ROLE: 'reactors' }) }));
    reactors.set(nodes.r2, await startServer({ dataDir: dirs.r2, env: env(nodes.r2), args: ['reactors'] }));
    admin = await token('root', ['admin']);
  });
  afterAll(async () => {
    const started = [api as Server | undefined, ...reactors.values()].filter((s): s is Server => s !== undefined);
    await Promise.all(started.map((s) => s.stop()));
    await standins.close();
    for (const d of [...Object.values(dirs), shared]) removeDir(d);
  });

  it('each node serves what its role says: reactors only probes and metrics, the API node no delivery', async () => {
    for (const [node, r] of reactors) {
      expect(r.output(), node).toMatch(/role: reactors\)/);
      expect((await call(r, 'GET', '/healthz')).status).toBe(200);
      const ready = await call(r, 'GET', '/readyz');
      expect(ready.status, ready.text).toBe(200);
      expect(ready.body).toMatchObject({ status: 'ready', role: 'reactors' });
      expect((await call(r, 'GET', '/metrics')).text).toMatch(/^msgxc_dispatch_in_flight /m);
      const send = await call(r, 'POST', '/api/v2/send', { token: admin, body: { uid: 'x', msg: 'no' } });
      expect(send.status).toBe(404);
      expect(send.text).toMatch(/reactors node serves only/);
    }
    expect(api.output()).toMatch(/role: api\)/);
    const metrics = (await call(api, 'GET', '/metrics')).text;
    expect(metrics).toMatch(/^msgxc_log_head_position /m);
    expect(metrics).not.toMatch(/msgxc_dispatch_in_flight/);
  });

  it('shares the sends without doubles, and after one is killed mid-dispatch the other delivers its claims once', async () => {
    const enlist = async (uid: string): Promise<Person> => {
      const s = standins.webpush.subscribe(`sub-${uid}`);
      const r = await call(api, 'POST', '/api/v2/enlist', { token: await token(uid), body: s });
      expect(r.status, r.text).toBe(200);
      return { uid, sub: subscriptionId(s.endpoint) };
    };
    const plain = await Promise.all(Array.from({ length: PLAIN }, (_, i) => enlist(`roles-plain-${i}`)));
    const held = await Promise.all(Array.from({ length: HELD }, (_, i) => enlist(`roles-held-${i}`)));
    const people = [...plain, ...held];
    const send = async (p: Person): Promise<void> => {
      const r = await call(api, 'POST', '/api/v2/send', { token: admin, body: { uid: p.uid, msg: `for ${p.uid}` } });
      expect(r.status, r.text).toBe(200);
    };
    const pushes = (p: Person): number => standins.webpush.recorder.forKey(p.sub).length;
    const deliveryEvents = async (): Promise<LogEvent[]> =>
      (await allEvents(api, admin, DELIVERY)).filter((e) => e.data['channel'] === 'webpush');
    const succeeded = (events: readonly LogEvent[]) => events.filter((e) => e.type === 'DeliverySucceeded');

    // Both reactors follow the log and race for each due push; the claims decide who sends.
    await Promise.all(plain.map(send));
    await waitFor(
      'a push to every plain recipient',
      async () => (succeeded(await deliveryEvents()).length === PLAIN ? true : undefined),
      30_000,
      200,
    );

    // The push service holds the first push of each held recipient unanswered.
    for (const p of held) standins.webpush.recorder.on(p.sub, { kind: 'hang' }, 1);
    await Promise.all(held.map(send));
    await waitFor(
      'every held push at the push service',
      () => (held.every((p) => pushes(p) === 1) ? true : undefined),
      30_000,
    );
    const heldUids = new Set(held.map((p) => p.uid));
    const claims = (await deliveryEvents()).filter(
      (e) => e.type === 'DeliveryAttempted' && heldUids.has(String(e.data['uid'])),
    );
    expect(claims).toHaveLength(HELD);
    const claimsOf = (node: string) => claims.filter((e) => e.data['node'] === node);
    const victim = claimsOf(nodes.r1).length >= claimsOf(nodes.r2).length ? nodes.r1 : nodes.r2;
    const survivor = victim === nodes.r1 ? nodes.r2 : nodes.r1;
    const victimStreams = claimsOf(victim)
      .map((e) => e.stream)
      .sort();
    expect(victimStreams.length).toBeGreaterThan(0);
    expect(await reactors.get(victim)?.stop('SIGKILL')).toBeNull();
    const killedAt = Date.now();

    // The survivor retakes the victim's claims once their leases end (its own held pushes
    // time out and are retried meanwhile); every recipient then has its push.
    const events = await waitFor(
      'a push to every recipient',
      async () => {
        const evs = await deliveryEvents();
        return succeeded(evs).length >= people.length ? evs : undefined;
      },
      LEASE_MS + 30_000,
      200,
    );
    const settledAt = Date.now();

    // In the log: one success per recipient, every claim by a reactor (never the API node),
    // and the only abandoned claims are the victim's in-flight ones, each retaken by the survivor.
    const keys = succeeded(events).map((e) => String(e.data['uid']));
    expect(keys.sort()).toEqual(people.map((p) => p.uid).sort());
    const claimers = new Set(events.filter((e) => e.type === 'DeliveryAttempted').map((e) => String(e.data['node'])));
    expect(
      [...claimers].every((n) => n === nodes.r1 || n === nodes.r2),
      [...claimers].join(','),
    ).toBe(true);
    const lapsed = abandoned(events);
    expect([...lapsed.keys()].sort()).toEqual(victimStreams);
    for (const [stream, claim] of lapsed) {
      expect(claim.data['node'], stream).toBe(victim);
      const retaken = (byStream(events).get(stream) ?? []).filter((e) => e.type === 'DeliveryAttempted').at(-1);
      expect(retaken?.data['node'], stream).toBe(survivor);
    }
    // At the push service: one push per plain recipient although two reactors raced for each;
    // each held recipient got the held push and one answered push (by the survivor, after the
    // lease or its own timeout): delivered exactly once each.
    expect(plain.map(pushes)).toEqual(plain.map(() => 1));
    expect(held.map(pushes)).toEqual(held.map(() => 2));
    expect(standins.webpush.recorder.requests.flatMap((r) => r.problems)).toEqual([]);
    // Triage happened once per message although both reactors followed the log.
    const triaged = await allEvents(api, admin, ['MessageTriaged']);
    expect(triaged).toHaveLength(people.length);

    const split = [nodes.r1, nodes.r2].map(
      (n) => events.filter((e) => e.type === 'DeliveryAttempted' && e.data['node'] === n).length,
    );
    console.info(
      `reactor-nodes: claims by r1/r2 ${split.join('/')}; killed ${victim === nodes.r1 ? 'r1' : 'r2'} holding ${String(victimStreams.length)} of ${String(HELD)} held pushes; ` +
        `all delivered ${String(settledAt - killedAt)} ms after the kill`,
    );
  });
});
