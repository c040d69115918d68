import { createHash } from 'node:crypto';
import { basename } from 'node:path';

// Which engines an end-to-end server runs on. The `e2e` project uses the embedded defaults;
// the `e2e-production` project (vitest.config.ts) sets MSGXC_E2E_STACK=production and runs
// the same tests on JetStream R3 (log), NATS (bus), Cassandra (read models) and
// Elasticsearch (search), on the real servers test/infra started. The NATS cluster is the
// current nats-server release when the run carries it (natscurrentcluster: what production
// users run), else Debian's 2.9 (natscluster); 2.9 stays covered by the JetStream contract
// and chaos suites either way. A server's names
// (keyspace, stream, index prefix) derive from its data directory, so a restart on the same
// directory finds its data again and two servers never share by accident.
export const isProductionStack = (): boolean => process.env['MSGXC_E2E_STACK'] === 'production';

const required = ['MSGXC_TEST_CASSANDRA_PORT', 'MSGXC_TEST_ELASTIC_URL'] as const;
const NATS_CLUSTERS = [
  { release: 'current', envVar: 'MSGXC_TEST_NATS_CURRENT_CLUSTER_URLS' },
  { release: 'debian', envVar: 'MSGXC_TEST_NATS_CLUSTER_URLS' },
] as const;

/** The run's NATS cluster the production stack uses (the current release first), if any. */
export const stackNats = ():
  | { readonly release: 'current' | 'debian'; readonly urls: readonly string[] }
  | undefined => {
  const found = NATS_CLUSTERS.find((c) => (process.env[c.envVar] ?? '') !== '');
  return found === undefined
    ? undefined
    : { release: found.release, urls: (process.env[found.envVar] ?? '').split(',') };
};

// The ids of the production-stack brokers this test file started (vitest loads this module
// afresh per file): test/e2e/drop-stores.ts drops their keyspaces and indices when the file ends.
const startedIds = new Set<string>();
export const stackIdsStarted = (): readonly string[] => [...startedIds];

export const stackEnv = (dataDir: string): Record<string, string> => {
  if (!isProductionStack()) return {};
  const nats = stackNats();
  const missing = [
    ...(nats === undefined ? [NATS_CLUSTERS.map((c) => c.envVar).join(' or ')] : []),
    ...required.filter((k) => (process.env[k] ?? '') === ''),
  ];
  if (missing.length > 0)
    throw new Error(
      `production stack needs ${missing.join(', ')} (run with MSGXC_TEST_SERVERS=natscurrentcluster,cassandra,elastic)`,
    );
  const id = createHash('sha256').update(basename(dataDir)).digest('hex').slice(0, 10);
  startedIds.add(id);
  const urls = nats?.urls ?? [];
  const hosts = urls.map((u) => u.replace(/^nats:\/\//, '')).join(',');
  return {
    MSGXC_EVENTSTORE: `nats://${hosts}?stream=E2E_${id}&prefix=e2e${id}&replicas=3`,
    MSGXC_BUS: 'nats',
    MSGXC_NATS_URL: urls.join(','),
    MSGXC_CASSANDRA_CONTACT_POINTS: `${process.env['MSGXC_TEST_CASSANDRA_CONTACT_POINT'] ?? '127.0.0.1'}:${process.env['MSGXC_TEST_CASSANDRA_PORT'] ?? ''}`,
    MSGXC_CASSANDRA_LOCAL_DC: process.env['MSGXC_TEST_CASSANDRA_DC'] ?? 'datacenter1',
    MSGXC_CASSANDRA_KEYSPACE: `e2e_${id}`,
    MSGXC_ELASTIC_URL: process.env['MSGXC_TEST_ELASTIC_URL'] ?? '',
    MSGXC_ELASTIC_INDEX_PREFIX: `e2e-${id}-`,
  };
};
