import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUS_PREFIX, call, nodeId, removeDir, startServer, token, type Server } from './harness.js';
import { openLive, type Frame, type TestSocket } from './realtime-socket.js';
import { isProductionStack, stackEnv } from './stack.js';

// Two broker processes and a real nats-server as the bus. First with a log each (what the bus
// alone carries: direct messages, broadcasts, receipts, presence), then on ONE JetStream log
// (thread membership made through one node holds on the other; resume on either node).
const natsUrl = process.env['MSGXC_TEST_NATS_URL'];
const skip = natsUrl === undefined || natsUrl === '';

describe.skipIf(skip)(
  'realtime across two nodes over NATS (needs MSGXC_TEST_NATS_URL, or MSGXC_TEST_SERVERS=nats)',
  () => {
    let a: Server;
    let b: Server;
    let admin = '';
    const sockets: TestSocket[] = [];
    const live = async (server: Server, tok: string): Promise<TestSocket> => {
      const s = await openLive(server, tok);
      sockets.push(s);
      return s;
    };
    const isMessage =
      (mid: string) =>
      (f: Frame): boolean =>
        f.type === 'message' && f.mid === mid;

    beforeAll(async () => {
      // Nodes on a JetStream log share it and deliver live frames from it (docs/production.md):
      // on the production stack both nodes get one stream (the per-server streams of the
      // harness would make two clusters); on the embedded project each has its own log and the
      // bus carries the frames between them. Both must pass the same assertions.
      const run = Math.random().toString(36).slice(2, 8);
      // Nodes sharing a log share the data keys too (Cassandra keyspace `<ks>_keys`): a node with
      // a key store of its own reads the other's sealed fields as erased (docs/gdpr.md).
      const shared = stackEnv(`nodes-${run}`);
      const cluster = isProductionStack()
        ? {
            MSGXC_EVENTSTORE: shared['MSGXC_EVENTSTORE'] ?? '',
            MSGXC_CASSANDRA_KEYSPACE: shared['MSGXC_CASSANDRA_KEYSPACE'] ?? '',
            MSGXC_ELASTIC_INDEX_PREFIX: shared['MSGXC_ELASTIC_INDEX_PREFIX'] ?? '',
          }
        : { MSGXC_EVENTSTORE: 'embedded' };
      const env = (node: string): Record<string, string> => ({
        ...cluster,
        MSGXC_BUS: 'nats',
        MSGXC_NATS_URL: natsUrl ?? '',
        MSGXC_NODE_ID: nodeId(node),
        MSGXC_LOG_LEVEL: 'warn',
        MSGXC_PRESENCE_HEARTBEAT_MS: '300',
      });
      [a, b] = await Promise.all([startServer({ env: env('node-a') }), startServer({ env: env('node-b') })]);
      admin = await token('admin', ['admin']);
    });
    afterAll(async () => {
      await Promise.all(sockets.map((s) => s.close()));
      for (const s of [a as Server | undefined, b as Server | undefined])
        if (s !== undefined) {
          await s.stop();
          removeDir(s.dataDir);
        }
    });

    it("each node subscribes under this run's own subject prefix (MSGXC_BUS_PREFIX), so runs sharing the nats-server stay apart", async () => {
      const monitor = process.env['MSGXC_TEST_NATS_MONITOR_URL'] ?? '';
      expect(monitor).not.toBe('');
      const connz = (await (await fetch(`${monitor}/connz?subs=1&limit=1000`)).json()) as {
        connections: { name?: string; subscriptions_list?: string[] }[];
      };
      // On a log both nodes share, each runs delivery beside its peers and hears their
      // heartbeats (delivery/roster.ts: throttles divide their limits among them).
      const kinds = [
        'broadcast',
        'control.*',
        'presence.*',
        ...(isProductionStack() ? ['reactors.*'] : []),
        'thread.*',
        'user.*',
      ];
      for (const node of ['node-a', 'node-b']) {
        const mine = connz.connections.find((c) => c.name === `msgxc-${nodeId(node)}`);
        expect(mine?.subscriptions_list?.filter((sub) => !sub.startsWith('_INBOX')).sort(), node).toEqual(
          kinds.map((k) => `${BUS_PREFIX}.${k}`),
        );
      }
    });

    it('a message sent through node A reaches the client on node B', async () => {
      const onB = await live(b, await token('bob'));
      const r = await call(a, 'POST', '/api/v2/send', { token: admin, body: { uid: 'bob', msg: 'from node A' } });
      const mid = r.headers.get('x-message-id') ?? '';
      expect(await onB.next(isMessage(mid))).toMatchObject({ msg: 'from node A', from: 'admin' });
      const all = await call(a, 'POST', '/api/v2/broadcast', { token: admin, body: { msg: 'to everyone' } });
      expect(await onB.next(isMessage(all.headers.get('x-message-id') ?? ''))).toMatchObject({ msg: 'to everyone' });
    });

    it("seen and read made on one node reach the user's sessions on the other, once each", async () => {
      const t = await token('carol');
      const [onA, onB] = [await live(a, t), await live(b, t)];
      const r = await call(a, 'POST', '/api/v2/send', { token: admin, body: { uid: 'carol', msg: 'hi' } });
      const mid = r.headers.get('x-message-id') ?? '';
      await Promise.all([onA.next(isMessage(mid)), onB.next(isMessage(mid))]);
      onA.send({ type: 'seen', mids: [mid], id: 1 });
      expect(await onB.next((f) => f.type === 'seen')).toEqual({ type: 'seen', mids: [mid] });
      expect((await call(b, 'POST', '/api/v2/read', { token: t, body: { mid } })).status).toBe(200);
      for (const s of [onA, onB]) expect(await s.next((f) => f.type === 'read')).toEqual({ type: 'read', mid });
      expect(onA.ofType('message').filter((f) => f.mid === mid)).toHaveLength(1);
      expect(onB.ofType('message').filter((f) => f.mid === mid)).toHaveLength(1);
      expect(onA.ofType('seen')).toEqual([]);
    });

    it('presence counts sessions on every node and forgets them when they close', async () => {
      const t = await token('dora');
      const sa = await openLive(a, t);
      const [sb1, sb2] = [await openLive(b, t), await openLive(b, t)];
      const ask = async (
        server: Server,
      ): Promise<{ online: boolean; sessions: number; nodes: { node: string; sessions: number }[] }> =>
        (await call(server, 'GET', '/api/v2/presence/dora', { token: admin })).body as {
          online: boolean;
          sessions: number;
          nodes: { node: string; sessions: number }[];
        };
      const until = async (
        server: Server,
        ok: (p: Awaited<ReturnType<typeof ask>>) => boolean,
      ): Promise<Awaited<ReturnType<typeof ask>>> => {
        for (let i = 0; i < 100; i += 1) {
          const p = await ask(server);
          if (ok(p)) return p;
          await new Promise((r) => setTimeout(r, 50));
        }
        return ask(server);
      };
      const onA = await until(a, (p) => p.sessions === 3);
      expect(onA).toMatchObject({ online: true, sessions: 3 });
      expect([...onA.nodes].sort((x, y) => x.node.localeCompare(y.node))).toEqual([
        { node: nodeId('node-a'), sessions: 1 },
        { node: nodeId('node-b'), sessions: 2 },
      ]);
      await Promise.all([sa.close(), sb1.close(), sb2.close()]);
      expect(await until(b, (p) => !p.online)).toMatchObject({ online: false, sessions: 0 });
      expect(await until(a, (p) => !p.online)).toMatchObject({ online: false, sessions: 0 });
    });
  },
);

// Both nodes on one event log (a JetStream stream on the test's nats-server): each node's read
// models follow the shared log; each event is published to the bus once, by the node that
// appended it.
describe.skipIf(skip)('realtime across two nodes sharing one JetStream log (needs MSGXC_TEST_NATS_URL)', () => {
  let a: Server | undefined;
  let b: Server | undefined;
  beforeAll(async () => {
    const run = Math.random().toString(36).slice(2, 8);
    const log = `${natsUrl ?? ''}?stream=RT_${run}&prefix=rt${run}`;
    const env = (node: string): Record<string, string> => ({
      MSGXC_EVENTSTORE: log,
      MSGXC_BUS: 'nats',
      MSGXC_NATS_URL: natsUrl ?? '',
      MSGXC_NODE_ID: nodeId(node),
      MSGXC_LOG_LEVEL: 'warn',
    });
    a = await startServer({ env: env('shared-a') });
    b = await startServer({ env: env('shared-b') });
  });
  afterAll(async () => {
    for (const s of [a, b])
      if (s !== undefined) {
        await s.stop();
        removeDir(s.dataDir);
      }
  });

  it('a thread message published through node A reaches a subscriber connected to node B, once', async () => {
    if (a === undefined || b === undefined) throw new Error('servers did not start');
    const admin = await token('admin', ['admin']);
    const owner = await token('olga');
    expect(
      (await call(a, 'POST', '/api/v2/threads', { token: owner, body: { tid: 'shared-room', opens: true } })).status,
    ).toBe(201);
    const t = await token('pia');
    expect((await call(a, 'POST', '/api/v2/subscribe', { token: t, body: { tid: 'shared-room' } })).status).toBe(200);
    const onB = await openLive(b, t);
    const p = await call(a, 'POST', '/api/v2/publish', {
      token: owner,
      body: { tid: 'shared-room', msg: 'across the shared log' },
    });
    const mid = p.headers.get('x-message-id') ?? '';
    expect(await onB.next((f) => f.type === 'message' && f.mid === mid)).toMatchObject({ tid: 'shared-room' });
    const fence = await call(a, 'POST', '/api/v2/send', { token: admin, body: { uid: 'pia', msg: 'fence' } });
    await onB.next((f) => f.type === 'message' && f.mid === fence.headers.get('x-message-id'));
    expect(onB.ofType('message').filter((f) => f.mid === mid)).toHaveLength(1);
    // Resume on node B covers what was published through node A while the client was away.
    await onB.close();
    const missed = await call(a, 'POST', '/api/v2/send', { token: admin, body: { uid: 'pia', msg: 'while away' } });
    const again = await openLive(b, t, { since: fence.headers.get('x-message-id') ?? '' });
    expect(await again.next((f) => f.type === 'message')).toMatchObject({ mid: missed.headers.get('x-message-id') });
    await again.close();
  });
});
