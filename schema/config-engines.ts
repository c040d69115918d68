import * as t from 'io-ts';
import { IntFromString, NonEmpty } from './env-codecs.js';

// The production engines, each switched on by one setting:
//   MSGXC_EVENTSTORE=nats://h:4222?replicas=3  the log on NATS JetStream, esdb://... on EventStoreDB
//                                          (app/engines.ts; adapters/eventstore/url.ts reads the settings)
//   MSGXC_CASSANDRA_CONTACT_POINTS=h1,h2   read models on Cassandra instead of SQLite
//   MSGXC_ELASTIC_URL=http://h:9200        search/analytics on Elasticsearch instead of SQLite FTS5
// The other variables tune an engine that is switched on.
const HostPorts = t.refinement(
  t.string,
  (s) => s.split(',').every((h) => /^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(h.trim())),
  'comma-separated host or host:port',
);
const HttpUrl = t.refinement(t.string, (s) => /^https?:\/\/[^\s]+$/.test(s), 'http(s)://host:port');
const Keyspace = t.refinement(
  t.string,
  (s) => /^[a-z][a-z0-9_]{0,47}$/.test(s),
  'a keyspace name: [a-z][a-z0-9_]{0,47}',
);
const Prefix = t.refinement(t.string, (s) => /^[a-z][a-z0-9_-]{0,40}$/.test(s), 'lower-case index prefix');

export const EngineEnv = t.partial({
  MSGXC_CASSANDRA_CONTACT_POINTS: HostPorts,
  MSGXC_CASSANDRA_LOCAL_DC: NonEmpty,
  MSGXC_CASSANDRA_KEYSPACE: Keyspace,
  MSGXC_CASSANDRA_REPLICATION_FACTOR: IntFromString('MSGXC_CASSANDRA_REPLICATION_FACTOR', 1, 9),
  MSGXC_CASSANDRA_USERNAME: NonEmpty,
  MSGXC_CASSANDRA_PASSWORD: NonEmpty,
  MSGXC_ELASTIC_URL: HttpUrl,
  MSGXC_ELASTIC_INDEX_PREFIX: Prefix,
  MSGXC_ELASTIC_REPLICAS: IntFromString('MSGXC_ELASTIC_REPLICAS', 0, 5),
});

export type ReadStoreConfig =
  | { readonly kind: 'embedded' }
  | {
      readonly kind: 'cassandra';
      readonly contactPoints: readonly string[];
      readonly localDataCenter: string;
      readonly keyspace: string;
      readonly replicationFactor: number;
      readonly credentials?: { readonly username: string; readonly password: string };
    };

export type SearchEngineConfig =
  | { readonly kind: 'embedded' }
  | { readonly kind: 'elastic'; readonly url: string; readonly prefix: string; readonly replicas: number };

export interface EngineConfig {
  readonly readStore: ReadStoreConfig;
  readonly search: SearchEngineConfig;
}

export const engineConfig = (e: t.TypeOf<typeof EngineEnv>): EngineConfig => ({
  readStore:
    e.MSGXC_CASSANDRA_CONTACT_POINTS === undefined
      ? { kind: 'embedded' }
      : {
          kind: 'cassandra',
          contactPoints: e.MSGXC_CASSANDRA_CONTACT_POINTS.split(',').map((h) => h.trim()),
          localDataCenter: e.MSGXC_CASSANDRA_LOCAL_DC ?? 'datacenter1',
          keyspace: e.MSGXC_CASSANDRA_KEYSPACE ?? 'msgxc',
          replicationFactor: e.MSGXC_CASSANDRA_REPLICATION_FACTOR ?? 1,
          ...(e.MSGXC_CASSANDRA_USERNAME !== undefined && e.MSGXC_CASSANDRA_PASSWORD !== undefined
            ? { credentials: { username: e.MSGXC_CASSANDRA_USERNAME, password: e.MSGXC_CASSANDRA_PASSWORD } }
            : {}),
        },
  search:
    e.MSGXC_ELASTIC_URL === undefined
      ? { kind: 'embedded' }
      : {
          kind: 'elastic',
          url: e.MSGXC_ELASTIC_URL,
          prefix: e.MSGXC_ELASTIC_INDEX_PREFIX ?? 'msgxc-',
          replicas: e.MSGXC_ELASTIC_REPLICAS ?? 0,
        },
});
