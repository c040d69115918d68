import type { Clock } from '../ports/clock.js';
import type { FollowerHandler } from '../ports/follower.js';
import type { ReadModels } from '../ports/read-models.js';
import type { CassandraDb } from './cassandra-db.js';
import { cassandraDispatchTable, newBatchMemo } from './cassandra-projection.js';
import type { CassandraProjection, Mutation } from './cassandra-projection.js';
import { cassandraProjections } from './cassandra-tables.js';
import { writeMutations } from './cassandra-writes.js';
import type { WriteOptions } from './cassandra-writes.js';
import { cassandraDeviceQueries } from './devices/cassandra.js';
import { cassandraInboxQueries } from './inbox/cassandra-queries.js';
import { cassandraTargetQueries } from './inbox/cassandra-targets.js';
import { cassandraMessageQueries } from './messages/cassandra.js';
import { cassandraThreadQueries } from './threads/cassandra.js';
import { cassandraUserQueries } from './users/cassandra.js';
import { cassandraUserImportQueries } from './user-imports/cassandra.js';
import { cassandraSegmentQueries } from './segments/cassandra.js';
import { appendAll } from '../domain/append-all.js';

// The read models on Cassandra: the handler the log follower feeds, and the queries. The
// keyspace, its generations and checkpoint are composed in app/read-stores.ts.

// Only `message()` asks it (is the message still `scheduled`?); app/ passes the node's clock.
const wallClock: Clock = { now: () => new Date() };

export type { Replication } from './cassandra-migrations.js';

/** The follower's name for the Cassandra read models (their checkpoint row). */
export const CASSANDRA_READ_MODELS = 'cassandra-read-models';

/**
 * Each batch becomes mutations, written grouped by partition and concurrently; the follower
 * stores the checkpoint only after they all succeeded (at-least-once, which is safe because
 * every write is idempotent by natural key and carries a timestamp from its event's position).
 */
export const cassandraReadModelsHandler = (
  db: CassandraDb,
  projections: readonly CassandraProjection[] = cassandraProjections,
  writes?: WriteOptions,
): FollowerHandler => {
  const { types, apply } = cassandraDispatchTable(db, projections);
  return {
    types,
    handle: async (events) => {
      const memo = newBatchMemo();
      const mutations: Mutation[] = [];
      for (const e of events)
        appendAll(mutations, await apply(e.event, { position: e.position, occurredAt: e.metadata.occurredAt }, memo));
      await writeMutations(db, mutations, writes);
    },
  };
};

export const createCassandraReadModels = (db: CassandraDb, clock: Clock = wallClock): ReadModels => {
  const users = cassandraUserQueries(db);
  const devices = cassandraDeviceQueries(db);
  const threads = cassandraThreadQueries(db);
  const messages = cassandraMessageQueries(db);
  const inbox = cassandraInboxQueries(db);
  const targets = cassandraTargetQueries(db);
  const imports = cassandraUserImportQueries(db);
  const segments = cassandraSegmentQueries(db);
  return {
    devicesByUser: (uid) => devices.devicesByUser(uid),
    thread: (tid) => threads.thread(tid),
    threadMembers: (tid, page) => threads.threadMembers(tid, page),
    memberRoles: (tid, uid) => threads.memberRoles(tid, uid),
    threadMessages: (tid, page, now) => messages.threadMessages(tid, page, now),
    inbox: (uid, page, now) => inbox.inbox(uid, page, now),
    message: (mid) => messages.message(mid, clock.now()),
    isRecipient: (mid, uid) => inbox.isRecipient(mid, uid),
    subscribedThreads: (uid) => inbox.subscribedThreads(uid),
    messagesTo: (target, page, now) => targets.messagesTo(target, page, now),
    threadsOf: (uid, page) => threads.threadsOf(uid, page),
    userCount: () => users.userCount(),
    userImport: (id) => imports.userImport(id),
    segments: (page) => segments.segments(page),
  };
};
