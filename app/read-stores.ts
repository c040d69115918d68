import type { Database } from 'better-sqlite3';
import type { Client } from 'cassandra-driver';
import { createCassandraCheckpoints } from '../adapters/checkpoint/cassandra.js';
import { createCassandraClient } from '../adapters/read-store/cassandra.js';
import { sqliteGenerations } from '../adapters/checkpoint/sqlite-generations.js';
import { erasingInTransaction } from '../adapters/sqlite/erasure.js';
import type { SqliteGeneration } from '../adapters/checkpoint/sqlite-generations.js';
import { createProjection } from '../follower/projection.js';
import type { Projection } from '../follower/projection.js';
import type { FollowerLog } from '../follower/follower.js';
import type { Backoff } from '../follower/waiters.js';
import type { Clock } from '../ports/clock.js';
import type { EventStore } from '../ports/eventstore.js';
import type { DeadLetter, FollowerHandler } from '../ports/follower.js';
import type { ReadModels } from '../ports/read-models.js';
import {
  CASSANDRA_READ_MODELS,
  cassandraReadModelsHandler,
  createCassandraReadModels,
} from '../projections/cassandra.js';
import { cassandraChecksum } from '../projections/cassandra-checksum.js';
import type { CassandraDb } from '../projections/cassandra-db.js';
import { cassandraGenerations } from '../projections/cassandra-generations.js';
import { applyCassandraMigrations } from '../projections/cassandra-migrations.js';
import type { MigrationReport, Replication } from '../projections/cassandra-migrations.js';
import type { WriteOptions } from '../projections/cassandra-writes.js';
import { EMBEDDED_READ_MODELS, createEmbeddedReadModels, embeddedReadModelsHandler } from '../projections/embedded.js';
import { liveReadModels } from '../projections/live-read-models.js';
import { ensureReadModels } from '../projections/tables.js';

// The read models composed with their storage: the one log follower (follower/) over the
// generations of an engine (SQLite files, Cassandra keyspaces) and a checkpoint store of that
// engine (adapters/checkpoint/). Queries always read the live generation.

interface Common {
  /** The log the projection follows. */
  readonly store: EventStore;
  readonly log?: FollowerLog;
  /** Decides whether a message is still `scheduled` in `message()` (default: the system clock). */
  readonly clock?: Clock;
  readonly onDeadLetters?: (dead: readonly DeadLetter[]) => void;
  /** Events per read while rebuilding (default 1000). */
  readonly pageSize?: number;
  /** Pause before a failed batch is tried again (doubling up to maxMs). */
  readonly retry?: Backoff;
}

const optional = <K extends string, V>(key: K, v: V | undefined): Partial<Record<K, V>> =>
  v === undefined ? {} : ({ [key]: v } as Record<K, V>);

export interface EmbeddedReadStore {
  /** This thread's connection to the live generation. */
  readonly db: Database;
  readonly models: ReadModels;
  readonly runner: Projection<Database>;
  /** Stops the runner (if running) and closes the file. */
  close(): Promise<void>;
}

export interface EmbeddedReadStoreOptions extends Common {
  /** The first generation's file, e.g. `<data dir>/read.db`. */
  readonly file: string;
  /**
   * A generation went live (its file, and the previous one's). With `retire: false` the
   * previous file stays for the caller to remove once its own readers left it (another thread).
   */
  readonly onPromoted?: (file: string, previous: string) => void;
  readonly retire?: boolean;
}

/**
 * The read models' handler on one file: after a batch that holds an erasure has committed,
 * the WAL is truncated (docs/gdpr.md, adapters/sqlite/erasure.ts); with the connection's
 * `secure_delete = ON`, none of the erased user's bytes stay in the file or its WAL.
 */
const erasureAware = (db: Database): FollowerHandler => {
  const inner = embeddedReadModelsHandler(db);
  return {
    ...(inner.types === undefined ? {} : { types: inner.types }),
    handle: (events) => {
      if (events.some((e) => e.event.type === 'UserErased')) erasingInTransaction(db);
      return inner.handle(events);
    },
  };
};

/** The SQLite read models: `<file>` and the generations beside it, fed by one follower. */
export const openEmbeddedReadStore = (o: EmbeddedReadStoreOptions): EmbeddedReadStore => {
  const generations = sqliteGenerations<Database>({
    base: o.file,
    prepare: (db) => ({ store: db, fresh: ensureReadModels(db) }),
    onLive: (g, previous) => {
      const next = createEmbeddedReadModels(g.db, o.clock);
      return () => {
        models = next;
        live = g;
        o.onPromoted?.(g.file, previous.file);
      };
    },
    ...optional('retire', o.retire),
  });
  let live: SqliteGeneration<Database> = generations.liveNow();
  let models = createEmbeddedReadModels(live.db, o.clock);
  const runner = createProjection({
    name: EMBEDDED_READ_MODELS,
    store: o.store,
    generations,
    handler: erasureAware,
    ...optional('log', o.log),
    ...optional('onDeadLetters', o.onDeadLetters),
    ...optional('pageSize', o.pageSize),
    ...optional('retry', o.retry),
  });
  return {
    get db() {
      return live.db;
    },
    models: liveReadModels(() => models),
    runner,
    close: async () => {
      await runner.stop();
      generations.close();
    },
  };
};

export interface CassandraReadStoreOptions extends Common {
  /** A driver client you own and close yourself; or `contactPoints` (the store then owns one). */
  readonly client?: Client;
  /** `host` or `host:port`, e.g. `['10.0.0.1:9042', '10.0.0.2:9042']`. */
  readonly contactPoints?: readonly string[];
  /** The data center this node talks to (LOCAL_* consistency, load balancing); e.g. `datacenter1`. */
  readonly localDataCenter: string;
  /** Keyspace of the read models' first generation (and of the generation pointer); created if missing. */
  readonly keyspace: string;
  /** Replication for new keyspaces (default `{ class: 'NetworkTopologyStrategy', <localDataCenter>: 1 }`). */
  readonly replication?: Replication;
  readonly credentials?: { readonly username: string; readonly password: string };
  readonly writes?: WriteOptions;
  readonly migrationsDir?: string;
  /** How long other nodes get to follow a promoted generation before the previous is dropped (default 5000 ms). */
  readonly graceMs?: number;
}

export interface CassandraReadStore {
  /** The live generation's keyspace. */
  readonly db: CassandraDb;
  readonly models: ReadModels;
  readonly runner: Projection<CassandraDb>;
  readonly migrations: MigrationReport;
  /** sha256 over every read-model row of the live generation (full scans: for tests and operators). */
  checksum(): Promise<string>;
  /** Stops the runner; shuts the client down if the store created it. */
  close(): Promise<void>;
}

/**
 * Connects, applies the schema migrations, opens the live generation and returns the read
 * models with their (not yet started) runner. Throws (a start-up error) when Cassandra cannot
 * be reached or a migration fails.
 */
export const openCassandraReadStore = async (o: CassandraReadStoreOptions): Promise<CassandraReadStore> => {
  if (o.client === undefined && (o.contactPoints ?? []).length === 0)
    throw new Error('openCassandraReadStore: give a client or contactPoints');
  const owned = o.client === undefined;
  const client = o.client ?? createCassandraClient(o);
  try {
    await client.connect();
    const replication = o.replication ?? { class: 'NetworkTopologyStrategy', [o.localDataCenter]: 1 };
    const migrations = await applyCassandraMigrations({
      client,
      keyspace: o.keyspace,
      replication,
      ...optional('dir', o.migrationsDir),
    });
    let db: CassandraDb | undefined;
    let models: ReadModels | undefined;
    const generations = cassandraGenerations({
      client,
      keyspace: o.keyspace,
      replication,
      name: CASSANDRA_READ_MODELS,
      checkpoints: createCassandraCheckpoints,
      onLive: (next) => {
        db = next;
        models = createCassandraReadModels(next, o.clock);
      },
      ...optional('migrationsDir', o.migrationsDir),
      ...optional('graceMs', o.graceMs),
      ...optional('log', o.log),
    });
    const runner = createProjection({
      name: CASSANDRA_READ_MODELS,
      store: o.store,
      generations,
      handler: (live) => cassandraReadModelsHandler(live, undefined, o.writes),
      ...optional('log', o.log),
      ...optional('onDeadLetters', o.onDeadLetters),
      ...optional('pageSize', o.pageSize),
      ...optional('retry', o.retry),
    });
    await runner.ready();
    const live = (): CassandraDb => {
      if (db === undefined) throw new Error('the Cassandra read models have no live generation');
      return db;
    };
    return {
      get db() {
        return live();
      },
      runner,
      migrations,
      models: liveReadModels(() => models ?? createCassandraReadModels(live(), o.clock)),
      checksum: () => cassandraChecksum(live()),
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
