import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsCluster, type NatsCluster } from '../infra/nats.js';
import { connect, type MsgxcClient, type WebSocketLike } from '../../web/client/client.js';
import { call, nodeId, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { isProductionStack, stackEnv, stackNats } from './stack.js';

// Two broker processes on one log: a JetStream R3 stream on a three-node NATS cluster that
// this file starts (so it can kill a node), NATS as the bus, Cassandra and Elasticsearch
// from the run's servers. Production stack only: the embedded log has a single writer.
const nodeSocket = (url: string, tok: string): WebSocketLike =>
  new WebSocket(url, { headers: { authorization: `Bearer ${tok}` } }) as unknown as WebSocketLike;

const until = async (ok: () => boolean | Promise<boolean>, what: () => string, ms: number): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** A client on `url` and the promise that its session is live (its `unseen` snapshot came). */
const liveClient = (
  url: string,
  tok: string,
  onMessage: (m: { mid: string; msg: string }) => void,
): { client: MsgxcClient; live: Promise<void> } => {
  let live = (): void => undefined;
  const isLive = new Promise<void>((resolve) => {
    live = resolve;
  });
  const client = connect({
    url,
    token: tok,
    webSocket: nodeSocket,
    onMessage,
    onUnseen: () => {
      live();
    },
  });
  return { client, live: isLive };
};

interface StreamReplica {
  name: string;
  current: boolean;
}
interface StreamDetail {
  name: string;
  cluster?: { leader?: string; replicas?: StreamReplica[] };
}
/** Whether a node reports the MULTI stream led by one node with both others current (caught up). */
const streamCurrent = async (cluster: NatsCluster): Promise<boolean> => {
  for (const node of cluster.nodes) {
    try {
      const jsz = (await (await fetch(`${node.monitorUrl}/jsz?streams=true`)).json()) as {
        account_details?: { stream_detail?: StreamDetail[] }[];
      };
      const stream = (jsz.account_details ?? []).flatMap((d) => d.stream_detail ?? []).find((d) => d.name === 'MULTI');
      const replicas = stream?.cluster?.replicas ?? [];
      if (stream?.cluster?.leader !== undefined && replicas.length === 2 && replicas.every((r) => r.current))
        return true;
    } catch {
      /* a node still starting: ask the next */
    }
  }
  return false;
};

// Only in the e2e-production project (vitest.config.ts leaves it out of the embedded one).
describe('two broker nodes on a three-node JetStream cluster', () => {
  const shared = tempDir('msgxc-multinode-');
  let cluster: NatsCluster;
  let a: Server;
  let b: Server;
  let admin: string;
  const clients: MsgxcClient[] = [];

  beforeAll(async () => {
    if (!isProductionStack())
      throw new Error('multinode.e2e runs on the production stack only (the e2e-production project)');
    // The same nats-server release as the run's stack (the current one when it carries it).
    cluster = await startNatsCluster(3, { release: stackNats()?.release ?? 'debian' });
    const hosts = cluster.urls.map((u) => u.replace(/^nats:\/\//, '')).join(',');
    // Both nodes get the same keyspace, stream and index prefix: one system, two processes.
    const env = (node: string): Record<string, string> => ({
      ...stackEnv(shared),
      MSGXC_EVENTSTORE: `nats://${hosts}?stream=MULTI&prefix=multi&replicas=3&timeout=1500`,
      MSGXC_NATS_URL: cluster.urls.join(','),
      MSGXC_NODE_ID: nodeId(node),
      MSGXC_LOG_LEVEL: 'warn',
    });
    a = await startServer({ dataDir: tempDir(), env: env('node-a') });
    b = await startServer({ dataDir: tempDir(), env: env('node-b') });
    admin = await token('root', ['admin']);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    // Whatever beforeAll got to start (it may have failed half-way: report that, not a crash here).
    const started = [a as Server | undefined, b as Server | undefined].filter((x): x is Server => x !== undefined);
    await Promise.all(started.map((x) => x.stop()));
    await (cluster as NatsCluster | undefined)?.stop();
    for (const d of [...started.map((x) => x.dataDir), shared]) removeDir(d);
  });

  it('a client on node B gets what is sent through node A, and both nodes read the same state', async () => {
    const got: string[] = [];
    const bob = await token('bob');
    const c = liveClient(b.url, bob, (m) => got.push(m.msg));
    clients.push(c.client);
    await call(b, 'POST', '/api/v2/threads', { token: bob, body: { tid: 'shared', opens: true } });
    expect(
      (await call(a, 'POST', '/api/v2/subscribe', { token: await token('carol'), body: { tid: 'shared' } })).status,
    ).toBe(200);
    // The session is live: a message sent now arrives live, not in the snapshot.
    await c.live;
    expect((await call(a, 'POST', '/api/v2/send', { token: admin, body: { uid: 'bob', msg: 'via A' } })).status).toBe(
      200,
    );
    await until(
      () => got.includes('via A'),
      () => `"via A" on node B (got ${JSON.stringify(got)})`,
      15_000,
    );
    expect((await call(b, 'GET', '/api/v2/threads/shared', { token: bob })).body).toMatchObject({
      owner: 'bob',
      subscribers: 1,
    });
  });

  it('killing a NATS node during a stream of sends loses no acknowledged message, and every one reaches the client', async () => {
    const got = new Set<string>();
    const bob = await token('dave');
    const c = liveClient(b.url, bob, (m) => got.add(m.mid));
    clients.push(c.client);
    await c.live;
    const acked: string[] = [];
    let failures = 0;
    let running = true;
    const worker = async (w: number): Promise<void> => {
      for (let i = 0; running; i++) {
        const node = (w + i) % 2 === 0 ? a : b;
        const r = await call(node, 'POST', '/api/v2/send', {
          token: admin,
          body: { uid: 'dave', msg: `chaos ${w}/${i}` },
        }).catch(() => undefined);
        if (r?.status === 200) acked.push(r.headers.get('x-message-id') ?? '');
        else failures += 1;
      }
    };
    const workers = Array.from({ length: 8 }, (_, w) => worker(w));
    const ackedAtLeast = (n: number, what: string) =>
      until(
        () => acked.length >= n,
        () => `${what}: ${String(acked.length)} acknowledged, ${String(failures)} refused`,
        60_000,
      );
    // Kill once the sends are flowing, keep sending until the cluster has taken writes without
    // the victim, then restart it and keep sending until it has caught up with the stream.
    await ackedAtLeast(40, 'sends flowing before the kill');
    const victim = cluster.nodes[0];
    if (victim === undefined) throw new Error('no cluster node');
    process.kill(victim.pid, 'SIGKILL');
    await ackedAtLeast(acked.length + 20, 'sends acknowledged without the killed node');
    await victim.stop();
    await victim.restart();
    await until(
      () => streamCurrent(cluster),
      () => 'the restarted node to be current on the MULTI stream',
      60_000,
    );
    await ackedAtLeast(acked.length + 20, 'sends acknowledged after the restart');
    running = false;
    await Promise.all(workers);
    expect(acked.length).toBeGreaterThan(20);

    // Every acknowledged message is in the log (read through the other node too)...
    const missing: string[] = [];
    for (const mid of acked) {
      const r = await call(a, 'GET', `/api/v2/streams/message-${mid}`, { token: admin });
      if ((r.body as { events?: { type: string }[] }).events?.[0]?.type !== 'MessagePublished') missing.push(mid);
    }
    expect(missing).toEqual([]);
    // ...and reaches the user's websocket, live or by resume, exactly once as the client sees it.
    await until(
      () => acked.every((m) => got.has(m)),
      () =>
        `${acked.filter((m) => !got.has(m)).length} of ${acked.length} messages on the socket (${failures} sends refused during the outage)`,
      60_000,
    );
  });

  // Last: it stops node A. The scheduler of whichever node fires first records the message
  // due (MessageDue, once); node B's does when A is gone, and B's sessions get it live.
  it('a scheduled message accepted by node A goes live on node B at its time, with node A stopped', async () => {
    const got: { mid: string; at: number }[] = [];
    const sam = await token('sam');
    const c = liveClient(b.url, sam, (m) => got.push({ mid: m.mid, at: Date.now() }));
    clients.push(c.client);
    await c.live;
    const due = new Date(Date.now() + 8_000);
    const r = await call(a, 'POST', '/api/v2/send', {
      token: admin,
      body: { uid: 'sam', msg: 'scheduled through A', scheduled: due.toISOString() },
    });
    expect(r.status, r.text).toBe(200);
    const mid = r.headers.get('x-message-id') ?? '';
    await a.stop();
    await until(
      () => got.some((m) => m.mid === mid),
      () => `the scheduled message on node B (got ${JSON.stringify(got)})`,
      due.getTime() - Date.now() + 30_000,
    );
    expect(got.find((m) => m.mid === mid)?.at).toBeGreaterThanOrEqual(due.getTime());
    const triage = await call(b, 'GET', `/api/v2/streams/triage-${mid}`, { token: admin });
    const types = ((triage.body as { events?: { type: string }[] }).events ?? []).map((e) => e.type);
    expect(types.filter((t) => t === 'MessageDue')).toHaveLength(1);
  });
});
