// The production stack for the benchmarks (issues 13 and 15): JetStream R3 (the current
// nats-server, three nodes on loopback) for the log and the bus, Cassandra for the read models,
// Elasticsearch for search. The servers are started from test/infra exactly as the
// e2e-production tier starts them (test/infra/global-setup.ts with
// MSGXC_TEST_SERVERS=natscurrentcluster,cassandra,elastic), and a broker's settings for them
// come from test/e2e/stack.ts (stream, keyspace and index prefix derived from the data dir, so
// each broker started on a fresh data dir gets names of its own).
// A server whose variable is already set (MSGXC_TEST_NATS_CURRENT_CLUSTER_URLS,
// MSGXC_TEST_CASSANDRA_PORT (+_CONTACT_POINT, _DC), MSGXC_TEST_ELASTIC_URL) is used as it is and
// neither started nor stopped here, as in global-setup. Orphans of earlier runs are not reaped
// (other people's servers may be running on this machine); ours die with this process.
// test/infra is loaded by path at run time, so run the bench from the sources with vite-node
// (`npm run build` does not pull the test helpers into dist/), unless every variable is set.
import { stackEnv } from '../test/e2e/stack.js';

interface Started {
  readonly env: Record<string, string>;
  readonly pids: readonly number[];
  stop(): Promise<void>;
}

// The parts of test/infra used here.
interface Infra {
  nats: {
    startNatsCluster: (
      size: number,
      o: { release: 'current' },
    ) => Promise<{
      urls: string[];
      version: string;
      nodes: { pid: number; monitorUrl: string }[];
      stop: () => Promise<void>;
    }>;
  };
  cassandra: {
    startCassandra: () => Promise<{
      port: number;
      contactPoint: string;
      localDataCenter: string;
      pid: number;
      stop: () => Promise<void>;
    }>;
  };
  elastic: { startElasticsearch: () => Promise<{ url: string; pid: number; stop: () => Promise<void> }> };
  reaper: { installExitHandlers: () => void };
}
const infra = async <K extends keyof Infra>(file: string): Promise<Infra[K]> =>
  (await import(new URL(`../test/infra/${file}.ts`, import.meta.url).pathname)) as Infra[K];

type ServerName = 'nats' | 'cassandra' | 'elastic';
const servers: readonly { name: ServerName; envVar: string; start: () => Promise<Started> }[] = [
  {
    name: 'nats',
    envVar: 'MSGXC_TEST_NATS_CURRENT_CLUSTER_URLS',
    start: async () => {
      const c = await (await infra<'nats'>('nats')).startNatsCluster(3, { release: 'current' });
      return {
        env: {
          MSGXC_TEST_NATS_CURRENT_CLUSTER_URLS: c.urls.join(','),
          MSGXC_TEST_NATS_CURRENT_CLUSTER_MONITOR_URLS: c.nodes.map((n) => n.monitorUrl).join(','),
          MSGXC_TEST_NATS_CURRENT_CLUSTER_VERSION: c.version,
        },
        pids: c.nodes.map((n) => n.pid),
        stop: c.stop,
      };
    },
  },
  {
    name: 'cassandra',
    envVar: 'MSGXC_TEST_CASSANDRA_PORT',
    start: async () => {
      const s = await (await infra<'cassandra'>('cassandra')).startCassandra();
      return {
        env: {
          MSGXC_TEST_CASSANDRA_PORT: String(s.port),
          MSGXC_TEST_CASSANDRA_CONTACT_POINT: s.contactPoint,
          MSGXC_TEST_CASSANDRA_DC: s.localDataCenter,
        },
        pids: [s.pid],
        stop: s.stop,
      };
    },
  },
  {
    name: 'elastic',
    envVar: 'MSGXC_TEST_ELASTIC_URL',
    start: async () => {
      const s = await (await infra<'elastic'>('elasticsearch')).startElasticsearch();
      return { env: { MSGXC_TEST_ELASTIC_URL: s.url }, pids: [s.pid], stop: s.stop };
    },
  },
];

export interface ProductionStack {
  /** The broker's settings for a server whose data dir is `dataDir` (test/e2e/stack.ts). */
  env(dataDir: string): Record<string, string>;
  /** The NATS cluster's URLs (log and bus). */
  readonly natsUrls: readonly string[];
  /** What was started here and by which PIDs, for the record. */
  readonly started: string;
  /** Stops what was started here (by process group, test/infra), nothing else. */
  stop(): Promise<void>;
}

/**
 * Starts what is not given (side by side: the JVMs mostly wait on their own start-up); `only`
 * limits it to the servers a bench uses (env() then needs all three all the same).
 */
export const startProductionStack = async (
  only: readonly ServerName[] = ['nats', 'cassandra', 'elastic'],
): Promise<ProductionStack> => {
  const wanted = servers.filter((s) => only.includes(s.name) && (process.env[s.envVar] ?? '') === '');
  if (wanted.length > 0) (await infra<'reaper'>('reaper')).installExitHandlers();
  const began = Date.now();
  const outcomes = await Promise.allSettled(wanted.map((s) => s.start()));
  const running = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  const stop = async (): Promise<void> => {
    await Promise.allSettled(running.map((r) => r.stop()));
  };
  const failed = outcomes.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : []));
  if (failed.length > 0) {
    await stop();
    throw new Error(`production stack: could not start ${failed.join('; ')}`);
  }
  for (const r of running) Object.assign(process.env, r.env);
  process.env['MSGXC_E2E_STACK'] = 'production';
  const started =
    running.length === 0
      ? 'all servers given'
      : `${wanted.map((s) => s.name).join(', ')} started in ${String(Date.now() - began)} ms, PIDs ${running.flatMap((r) => r.pids).join(' ')}`;
  return {
    env: stackEnv,
    natsUrls: (process.env['MSGXC_TEST_NATS_CURRENT_CLUSTER_URLS'] ?? '').split(','),
    started,
    stop,
  };
};
