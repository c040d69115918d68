import type { CassandraProjection } from './cassandra-projection.js';
import { devicesCassandra } from './devices/cassandra.js';
import { inboxCassandra } from './inbox/cassandra.js';
import { messagesCassandra } from './messages/cassandra.js';
import { threadsCassandra } from './threads/cassandra.js';
import { usersCassandra } from './users/cassandra.js';
import { userImportsCassandra } from './user-imports/cassandra.js';
import { segmentsCassandra } from './segments/cassandra.js';

// The Cassandra read models. Their mutations commute, so their order does not matter; their
// tables are created by schema/cassandra/*.cql.
export const cassandraProjections: readonly CassandraProjection[] = [
  usersCassandra,
  devicesCassandra,
  threadsCassandra,
  messagesCassandra,
  inboxCassandra,
  userImportsCassandra,
  segmentsCassandra,
];

export const cassandraReadModelTables: readonly string[] = cassandraProjections.flatMap((p) => p.tables);
