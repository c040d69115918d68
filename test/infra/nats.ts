// Real nats-server processes for tests: one JetStream server, or a three-node JetStream
// cluster with routes on loopback. Two releases: Debian's package (2.9.10, `debian`) and the
// current release built from the Go module proxy (`current`, NATS_CURRENT_VERSION in
// versions.env); production users run current releases, and the JetStream log is tested on both.
import { join } from 'node:path';
import { field, requestJson } from './http.js';
import { ensureInstalled } from './install.js';
import type { Spawned } from './process.js';
import { HOST, freePorts, makeRunDir, removeDir, spawnServer, stopGroup, waitFor, writeText } from './process.js';

/** Which nats-server build: Debian's package (install-nats.sh) or the current release (install-nats-current.sh). */
export type NatsRelease = 'debian' | 'current';

export interface NatsServer {
  /** What the running server reports in /varz, e.g. "2.9.10". */
  readonly version: string;
  readonly url: string;
  readonly port: number;
  readonly monitorUrl: string;
  /** The current process; changes after restart(). */
  readonly pid: number;
  readonly logFile: string;
  /** Stops the server and removes its store. */
  readonly stop: () => Promise<void>;
  /** Stops the process and starts it again on the same store and ports (JetStream recovers its streams). */
  readonly restart: () => Promise<void>;
}

interface NodePorts {
  readonly name: string;
  readonly client: number;
  readonly monitor: number;
  readonly route: number;
}

const configText = (node: NodePorts, storeDir: string | undefined, routes: readonly number[] | undefined): string => {
  const lines = [`server_name: ${node.name}`, `listen: "${HOST}:${node.client}"`, `http: "${HOST}:${node.monitor}"`];
  // store_dir gets "/jetstream" appended by the server.
  if (storeDir !== undefined) lines.push(`jetstream { store_dir: "${storeDir}" }`);
  if (routes !== undefined) {
    const urls = routes.map((p) => `"nats-route://${HOST}:${p}"`).join(', ');
    lines.push(`cluster { name: msgxc-test, listen: "${HOST}:${node.route}", routes: [${urls}] }`);
  }
  return `${lines.join('\n')}\n`;
};

const launch = async (
  release: NatsRelease,
  configFile: string,
  runDir: string,
  logFile: string,
  name: string,
): Promise<Spawned> => {
  const bin = await ensureInstalled(release === 'current' ? 'nats-current' : 'nats');
  return spawnServer({ name, command: bin, args: ['-c', configFile], runDir, logFile });
};

// /healthz also checks JetStream when it is enabled, so "ok" means ready for streams.
const healthy = async (monitorUrl: string): Promise<true | undefined> => {
  const { status, body } = await requestJson(`${monitorUrl}/healthz`, { timeoutMs: 1_000 });
  return status === 200 && field(body, 'status') === 'ok' ? true : undefined;
};

const versionOf = async (monitorUrl: string): Promise<string> => {
  const version = field((await requestJson(`${monitorUrl}/varz`, { timeoutMs: 5_000 })).body, 'version');
  if (typeof version !== 'string') throw new Error(`${monitorUrl}/varz names no version`);
  return version;
};

const nodePorts = async (names: readonly string[]): Promise<NodePorts[]> => {
  const ports = await freePorts(3 * names.length);
  return names.map((name, i) => ({
    name,
    client: ports[3 * i] ?? 0,
    monitor: ports[3 * i + 1] ?? 0,
    route: ports[3 * i + 2] ?? 0,
  }));
};

export const startNats = async (options: { jetstream?: boolean; release?: NatsRelease } = {}): Promise<NatsServer> => {
  const release = options.release ?? 'debian';
  const runDir = await makeRunDir(release === 'current' ? 'natscurrent' : 'nats');
  const [node] = await nodePorts(['msgxc-test-nats']);
  if (node === undefined) throw new Error('no ports');
  const configFile = join(runDir, 'nats.conf');
  await writeText(
    configFile,
    configText(node, options.jetstream === true ? join(runDir, 'store') : undefined, undefined),
  );
  const logFile = join(runDir, 'nats.log');
  const monitorUrl = `http://${HOST}:${node.monitor}`;
  let proc: Spawned | undefined;
  const stop = async (): Promise<void> => {
    if (proc !== undefined) await stopGroup(proc.pid);
    await removeDir(runDir);
  };
  const start = async (): Promise<Spawned> => {
    const p = await launch(release, configFile, runDir, logFile, 'nats-server');
    proc = p;
    await waitFor({ what: 'nats-server', timeoutMs: 60_000, process: p, logFile }, () => healthy(monitorUrl));
    return p;
  };
  let version: string;
  try {
    await start();
    version = await versionOf(monitorUrl);
  } catch (e) {
    await stop();
    throw e;
  }
  const server: NatsServer = {
    version,
    url: `nats://${HOST}:${node.client}`,
    port: node.client,
    monitorUrl,
    logFile,
    stop,
    get pid() {
      return proc?.pid ?? 0;
    },
    restart: async () => {
      if (proc !== undefined) await stopGroup(proc.pid);
      proc = undefined;
      await start();
    },
  };
  return server;
};

export interface NatsClusterNode {
  readonly name: string;
  readonly url: string;
  readonly monitorUrl: string;
  /** The current process; changes after restart(). */
  readonly pid: number;
  /** Stops the process and keeps its JetStream store, so restart() rejoins with its data. */
  readonly stop: () => Promise<void>;
  readonly restart: () => Promise<void>;
}

export interface NatsCluster {
  /** What the nodes report in /varz, e.g. "2.15.3". */
  readonly version: string;
  readonly urls: readonly string[];
  readonly nodes: readonly NatsClusterNode[];
  /** Stops every node and removes all stores. */
  readonly stop: () => Promise<void>;
}

const makeNode = (release: NatsRelease, runDir: string, ports: NodePorts, routes: readonly number[]) => {
  const configFile = join(runDir, `${ports.name}.conf`);
  const logFile = join(runDir, `${ports.name}.log`);
  const monitorUrl = `http://${HOST}:${ports.monitor}`;
  let proc: Spawned | undefined;
  const start = async (): Promise<void> => {
    proc = await launch(release, configFile, runDir, logFile, ports.name);
  };
  const stop = async (): Promise<void> => {
    if (proc !== undefined) await stopGroup(proc.pid);
    proc = undefined;
  };
  const running = (): Spawned => {
    if (proc === undefined) throw new Error(`${ports.name} is stopped`);
    return proc;
  };
  const node: NatsClusterNode = {
    name: ports.name,
    url: `nats://${HOST}:${ports.client}`,
    monitorUrl,
    get pid() {
      return running().pid;
    },
    stop,
    restart: async () => {
      await stop();
      await start();
      await waitFor({ what: ports.name, timeoutMs: 30_000, process: running(), logFile }, () => healthy(monitorUrl));
    },
  };
  const init = () => writeText(configFile, configText(ports, join(runDir, ports.name), routes));
  return { node, init, start, running, logFile };
};

// JetStream's meta group (its cluster-wide RAFT group) has formed when every node names the
// same leader and that leader sees all other peers as current.
const metaFormed = async (nodes: readonly NatsClusterNode[]): Promise<true | undefined> => {
  const views = await Promise.all(
    nodes.map(async (n) => (await requestJson(`${n.monitorUrl}/jsz`, { timeoutMs: 1_000 })).body),
  );
  const leaders = new Set(views.map((v) => field(v, 'meta_cluster', 'leader')));
  const [leader] = leaders;
  if (leaders.size !== 1 || typeof leader !== 'string' || leader === '') return undefined;
  const leaderView = views[nodes.findIndex((n) => n.name === leader)];
  const replicas = field(leaderView, 'meta_cluster', 'replicas');
  const current = Array.isArray(replicas) ? replicas.filter((r) => field(r, 'current') === true).length : 0;
  return field(leaderView, 'meta_cluster', 'cluster_size') === nodes.length && current === nodes.length - 1
    ? true
    : undefined;
};

export const startNatsCluster = async (size = 3, options: { release?: NatsRelease } = {}): Promise<NatsCluster> => {
  const release = options.release ?? 'debian';
  const runDir = await makeRunDir(release === 'current' ? 'natscurrentcluster' : 'natscluster');
  const ports = await nodePorts(Array.from({ length: size }, (_, i) => `n${String(i + 1)}`));
  const routes = ports.map((p) => p.route);
  const members = ports.map((p) => makeNode(release, runDir, p, routes));
  const stop = async (): Promise<void> => {
    await Promise.all(members.map((m) => m.node.stop()));
    await removeDir(runDir);
  };
  let version: string;
  try {
    for (const m of members) await m.init();
    for (const m of members) await m.start();
    const nodes = members.map((m) => m.node);
    // Any node's process will do for the early-exit check; the others fail the probe.
    const first = members[0];
    if (first === undefined) throw new Error('a NATS cluster needs at least one node');
    const spec = { what: 'nats cluster', timeoutMs: 60_000, process: first.running(), logFile: first.logFile };
    await waitFor(spec, () => metaFormed(nodes));
    version = await versionOf(first.node.monitorUrl);
  } catch (e) {
    await stop();
    throw e;
  }
  return { version, urls: members.map((m) => m.node.url), nodes: members.map((m) => m.node), stop };
};
