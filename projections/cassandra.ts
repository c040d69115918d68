import { Client, auth, policies } from 'cassandra-driver';
import type { Clock } from '../ports/clock.js';
import type { EventStore } from '../ports/eventstore.js';
import { applyCassandraMigrations } from './cassandra-migrations.js';
import type { MigrationReport, Replication } from './cassandra-migrations.js';
import { cassandraChecksum } from './cassandra-checksum.js';
import { CL, cassandraDb } from './cassandra-db.js';
import type { CassandraDb } from './cassandra-db.js';
import { createCassandraRunner } from './cassandra-runner.js';
import type { CassandraProjectionRunner } from './cassandra-runner.js';
import type { WriteOptions } from './cassandra-writes.js';
import { cassandraDeviceQueries } from './devices/cassandra.js';
import { cassandraInboxQueries } from './inbox/cassandra-queries.js';
import { cassandraTargetQueries } from './inbox/cassandra-targets.js';
import { cassandraMessageQueries } from './messages/cassandra.js';
import type { ProjectionLog } from './runner-core.js';
import { cassandraThreadQueries } from './threads/cassandra.js';
import type { ReadModels } from '../ports/read-models.js';
import { cassandraUserQueries } from './users/cassandra.js';

// Only `message()` asks it (is the message still `scheduled`?); app/ passes the node's clock.
const wallClock: Clock = { now: () => new Date() };

export { CASSANDRA_RUNNER_NAME, readCassandraCheckpoint, writeCassandraCheckpoint } from './cassandra-runner.js';
export type { CassandraProjectionRunner } from './cassandra-runner.js';
export type { Replication } from './cassandra-migrations.js';

/**
 * Options of `openCassandraReadStore`. Give either `client` (a driver client you own and
 * close yourself) or `contactPoints` (the store then creates a token-aware client, and
 * closes it in `close()`).
 */
export interface CassandraReadStoreOptions {
  readonly client?: Client;
  /** `host` or `host:port`, e.g. `['10.0.0.1:9042', '10.0.0.2:9042']`. */
  readonly contactPoints?: readonly string[];
  /** The data center this node talks to (LOCAL_* consistency, load balancing); e.g. `datacenter1`. */
  readonly localDataCenter: string;
  /** Keyspace of the read models, `[a-z][a-z0-9_]{0,47}`; created if missing. */
  readonly keyspace: string;
  /** Replication for a new keyspace (default `{ class: 'NetworkTopologyStrategy', <localDataCenter>: 1 }`; use 3 in production). */
  readonly replication?: Replication;
  readonly credentials?: { readonly username: string; readonly password: string };
  /** The log the runner follows. */
  readonly store: EventStore;
  readonly log?: ProjectionLog;
  /** Decides whether a message is still `scheduled` in `message()` (default: the system clock). */
  readonly clock?: Clock;
  /** In-flight writes and rows per unlogged batch when applying a batch of events. */
  readonly writes?: WriteOptions;
  /** Folder of the .cql migrations (default: schema/cassandra). */
  readonly migrationsDir?: string;
}

export interface CassandraReadStore {
  readonly db: CassandraDb;
  readonly models: ReadModels;
  readonly runner: CassandraProjectionRunner;
  readonly migrations: MigrationReport;
  /** sha256 over every read-model row (full scans: for tests and operators). */
  checksum(): Promise<string>;
  /** Stops the runner; shuts the client down if the store created it. */
  close(): Promise<void>;
}

/** A client for the read side: token-aware routing over the local data center's nodes. */
export const createCassandraClient = (
  o: Pick<CassandraReadStoreOptions, 'contactPoints' | 'localDataCenter' | 'credentials'>,
): Client =>
  new Client({
    contactPoints: [...(o.contactPoints ?? [])],
    localDataCenter: o.localDataCenter,
    policies: {
      loadBalancing: new policies.loadBalancing.TokenAwarePolicy(
        new policies.loadBalancing.DCAwareRoundRobinPolicy(o.localDataCenter),
      ),
    },
    queryOptions: { consistency: CL.read, prepare: true },
    ...(o.credentials === undefined
      ? {}
      : { authProvider: new auth.PlainTextAuthProvider(o.credentials.username, o.credentials.password) }),
  });

export const createCassandraReadModels = (db: CassandraDb, clock: Clock = wallClock): ReadModels => {
  const users = cassandraUserQueries(db);
  const devices = cassandraDeviceQueries(db);
  const threads = cassandraThreadQueries(db);
  const messages = cassandraMessageQueries(db);
  const inbox = cassandraInboxQueries(db);
  const targets = cassandraTargetQueries(db);
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
  };
};

/**
 * Connects, applies the schema migrations, reads the runner's checkpoint and returns the
 * read models with their (not yet started) runner: `runner.start()` catches up and follows.
 * Throws (a start-up error) when Cassandra cannot be reached or a migration fails.
 */
export const openCassandraReadStore = async (o: CassandraReadStoreOptions): Promise<CassandraReadStore> => {
  if (o.client === undefined && (o.contactPoints ?? []).length === 0)
    throw new Error('openCassandraReadStore: give a client or contactPoints');
  const owned = o.client === undefined;
  const client = o.client ?? createCassandraClient(o);
  try {
    await client.connect();
    const migrations = await applyCassandraMigrations({
      client,
      keyspace: o.keyspace,
      replication: o.replication ?? { class: 'NetworkTopologyStrategy', [o.localDataCenter]: 1 },
      ...(o.migrationsDir === undefined ? {} : { dir: o.migrationsDir }),
    });
    const db = cassandraDb(client, o.keyspace);
    const runner = await createCassandraRunner({
      store: o.store,
      db,
      ...(o.log === undefined ? {} : { log: o.log }),
      ...(o.writes === undefined ? {} : { writes: o.writes }),
    });
    return {
      db,
      runner,
      migrations,
      models: createCassandraReadModels(db, o.clock),
      checksum: () => cassandraChecksum(db),
      close: async () => {
        await runner.stop();
        if (owned) await client.shutdown();
      },
    };
  } catch (e) {
    if (owned) await client.shutdown();
    throw e;
  }
};
