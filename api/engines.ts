import { join } from 'node:path';
import type { Clock } from '../ports/clock.js';
import { openEventStore } from '../adapters/eventstore/open.js';
import type { EventStore } from '../ports/eventstore.js';
import { createSqliteEventStore, type SqliteEventStore } from '../adapters/eventstore/sqlite.js';
import { openCassandraReadStore } from '../projections/cassandra.js';
import { openEmbeddedReadStore } from '../projections/embedded.js';
import { openSearch } from '../projections/search/open.js';
import { openThreadedReadStore } from '../projections/threaded.js';
import type { ReadModels } from '../ports/read-models.js';
import type { ProjectionRunner } from '../ports/projections.js';
import { startProjectionWorker } from '../projections/worker-client.js';
import type { Config } from '../schema/config.js';
import type { Logger } from './log.js';

// Chooses each engine from the configuration: the log, the read models, the search index.
// Embedded defaults need nothing installed; each production engine is one setting away.

export interface OpenedLog {
  readonly store: EventStore;
  readonly sqlite?: SqliteEventStore;
}

export const openLog = async (config: Config): Promise<OpenedLog> => {
  if (config.eventStore === 'embedded') {
    const sqlite = createSqliteEventStore({
      file: join(config.dataDir, 'events.db'),
      writerThread: config.embeddedWriter === 'thread',
    });
    return { store: sqlite, sqlite };
  }
  // memory, nats:// (JetStream) and esdb:// (EventStoreDB); their settings ride on the URL.
  return { store: await openEventStore(config.eventStore, { dataDir: config.dataDir }) };
};

export interface OpenedProjection<T = object> {
  readonly runner: ProjectionRunner;
  readonly value: T;
  close(): Promise<void>;
}

const eventsFile = (config: Config): string => join(config.dataDir, 'events.db');

/** Read models: Cassandra when configured; else SQLite, in a worker thread when the log is SQLite too. */
export const openReadModels = async (
  config: Config,
  log: OpenedLog,
  logger: Logger,
  clock: Clock,
): Promise<OpenedProjection<ReadModels>> => {
  const rs = config.engines.readStore;
  if (rs.kind === 'cassandra') {
    const c = await openCassandraReadStore({
      contactPoints: rs.contactPoints,
      localDataCenter: rs.localDataCenter,
      keyspace: rs.keyspace,
      replication: { class: 'NetworkTopologyStrategy', [rs.localDataCenter]: rs.replicationFactor },
      ...(rs.credentials ? { credentials: rs.credentials } : {}),
      store: log.store,
      log: logger,
      clock,
    });
    return { runner: c.runner, value: c.models, close: () => c.close() };
  }
  const readFile = join(config.dataDir, 'read.db');
  const embedded =
    log.sqlite === undefined
      ? openEmbeddedReadStore({ file: readFile, store: log.store, log: logger, clock })
      : await openThreadedReadStore({
          readFile,
          eventsFile: eventsFile(config),
          store: log.sqlite,
          log: logger,
          clock,
        });
  return { runner: embedded.runner, value: embedded.models, close: () => embedded.close() };
};

/** The search/analytics projection: Elasticsearch when configured, else SQLite FTS5 (in a worker with the SQLite log). */
export const openSearchProjection = async (
  config: Config,
  log: OpenedLog,
  logger: Logger,
): Promise<OpenedProjection> => {
  const s = config.engines.search;
  if (s.kind === 'elastic') {
    const search = await openSearch({
      kind: 'elastic',
      url: s.url,
      prefix: s.prefix,
      replicas: s.replicas,
      store: log.store,
      log: logger,
    });
    return { runner: search.runner, value: search.index, close: () => search.close() };
  }
  const file = join(config.dataDir, 'search.db');
  if (log.sqlite !== undefined) {
    const worker = await startProjectionWorker({
      kind: 'search',
      file,
      eventsFile: eventsFile(config),
      store: log.sqlite,
      log: logger,
    });
    return { runner: worker.runner, value: {}, close: () => worker.close() };
  }
  const search = await openSearch({ kind: 'embedded', file, store: log.store, log: logger });
  return { runner: search.runner, value: search.index, close: () => search.close() };
};
