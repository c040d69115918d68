import { join } from 'node:path';
import { createInProcessBus, type InProcessNetwork } from '../adapters/bus/in-process.js';
import { createNatsBus } from '../adapters/bus/nats.js';
import { createSqliteOutbox } from '../adapters/channels/outbox-store.js';
import { receiptSigner } from '../adapters/channels/receipts.js';
import { createChannels, type Channels } from '../adapters/channels/registry.js';
import type { EventStoreDbOptions } from '../adapters/eventstore/eventstoredb.js';
import type { JetStreamEventStoreOptions } from '../adapters/eventstore/jetstream.js';
import { openSqliteDeliveryState } from '../adapters/delivery-state/sqlite.js';
import { auditLog } from '../adapters/eventstore/audit-log.js';
import { chained } from '../adapters/eventstore/chained.js';
import { sealed } from '../adapters/eventstore/sealed.js';
import { createSealedShare } from '../adapters/eventstore/sealed-share.js';
import { createSqliteKeyStore } from '../adapters/keystore/sqlite.js';
import { createMemoryEventStore } from '../adapters/eventstore/memory.js';
import { eventStoreUrlError, parseNatsUrl } from '../adapters/eventstore/url.js';
import { createSqliteEventStore, type SqliteEventStore } from '../adapters/eventstore/sqlite.js';
import { createSqliteIdempotencyStore } from '../adapters/idempotency/sqlite.js';
import { openElasticSearchIndex } from '../adapters/search/elastic.js';
import { createEmbeddedSearchIndex } from '../adapters/search/embedded.js';
import { embeddedSearchReader } from '../adapters/search/embedded-reader.js';
import type { SearchQueries } from '../ports/search.js';
import type { StateSnapshots } from '../ports/state-snapshot.js';
import type { Bus } from '../ports/bus.js';
import type { Clock } from '../ports/clock.js';
import type { DeliveryStateStore } from '../ports/delivery-state.js';
import type { AuditLog, EventStore } from '../ports/eventstore.js';
import type { IdempotencyStore } from '../ports/idempotency.js';
import type { KeyStore, PersonalData } from '../ports/keystore.js';
import type { DeadLetter } from '../ports/follower.js';
import type { Logger } from '../ports/log.js';
import type { OutboxStore } from '../ports/outbox.js';
import type { ProjectionRunner } from '../ports/projections.js';
import type { ReadModels } from '../ports/read-models.js';
import { searchProjection } from '../projections/search/open.js';
import { isSharedLog, type Config } from '../schema/config.js';
import { startProjectionWorker } from './projection-worker/client.js';
import { openThreadedReadStore } from './projection-worker/threaded.js';
import { openCassandraReadStore, openEmbeddedReadStore } from './read-stores.js';

// The one place that chooses an engine for every port from the configuration: the log, the
// read models, the search index, the bus, the idempotency records, delivery's state and the
// delivery channels.
// Embedded defaults need nothing installed; each production engine is one setting away.

// One setting (MSGXC_EVENTSTORE) picks the engine of the log:
//   embedded                      SQLite file <dataDir>/events.db (the default)
//   memory                        in-process, lost on exit (tests, benchmarks)
//   nats://h1:4222[,h2:4222,...][?stream=MSGXC_EVENTS&prefix=msgxc&replicas=3&timeout=1500]
//                                 NATS JetStream; hosts are a cluster's seed list
//   esdb://..., esdb+discover://..., kurrentdb://..., kurrentdb+discover://...
//                                 EventStoreDB / KurrentDB, the client's own connection string
// The server engines' clients are imported only when chosen: the embedded default should
// not pay for loading them (the EventStoreDB client alone takes ~0.3 s and a native module).
export interface OpenEventStoreOptions {
  /** Where the embedded engine keeps its file. */
  readonly dataDir: string;
  /** Commit the embedded log in a writer thread (adapters/eventstore/sqlite-worker-queue.ts). */
  readonly writerThread?: boolean;
  /** Defaults for JetStream settings the URL does not give. */
  readonly jetstream?: Omit<JetStreamEventStoreOptions, 'servers' | 'connection'>;
  readonly eventStoreDb?: Omit<EventStoreDbOptions, 'connectionString'>;
}

export const openEventStore = async (url: string, options: OpenEventStoreOptions): Promise<EventStore> => {
  if (url === 'embedded')
    return createSqliteEventStore({
      file: join(options.dataDir, 'events.db'),
      writerThread: options.writerThread ?? false,
    });
  if (url === 'memory') return createMemoryEventStore();
  if (url.startsWith('nats://')) {
    const parsed = parseNatsUrl(url);
    const { openJetStreamEventStore } = await import('../adapters/eventstore/jetstream.js');
    return openJetStreamEventStore({ ...options.jetstream, ...parsed.options, servers: parsed.servers });
  }
  if (/^(esdb|kurrentdb)(\+discover)?:\/\//.test(url)) {
    const { openEventStoreDbEventStore } = await import('../adapters/eventstore/eventstoredb.js');
    return openEventStoreDbEventStore({ ...options.eventStoreDb, connectionString: url });
  }
  throw eventStoreUrlError(url, 'expected embedded, memory, nats://... or esdb://... (kurrentdb://...)');
};

export interface OpenedLog {
  /** The log as the node uses it: personal data sealed (sealed.ts) above the tamper-evident chain (chained.ts). */
  readonly store: EventStore;
  /** The log as stored (chained, personal fields sealed): what verify and the auditors read. */
  readonly stored: EventStore;
  /** The sealing, whose keys an erasure destroys. */
  readonly personal: PersonalData;
  /** The key store's file when it is embedded (a projection worker opens it too). */
  readonly keysFile?: string;
  /** What this thread seals, shared with the projection workers (sealed-share.ts); with the SQLite log and keys. */
  readonly sealedShare?: SharedArrayBuffer;
  readonly sqlite?: SqliteEventStore;
  readonly audit: AuditLog;
  /** Writes a checkpoint over the log up to its head now (`msgxc audit checkpoint`). */
  readonly checkpoint: () => Promise<void>;
}

// Every event is chained, whatever the engine; a checkpoint over the global order follows
// every CHECKPOINT_EVERY events a node appends (docs/audit.md).
const CHECKPOINT_EVERY = 1000;
const auditable = (engine: EventStore, keys: OpenedKeys, log?: Logger, sqlite?: SqliteEventStore): OpenedLog => {
  const chain = chained(engine, {
    checkpoints: {
      every: CHECKPOINT_EVERY,
      now: () => new Date(),
      // The next checkpoint covers what this one would have: say so, do not stop the node.
      onError: (e) => log?.warn({ err: String(e) }, 'audit checkpoint failed'),
    },
  });
  // Auditors read the engine as stored: sealed fields stay sealed there (docs/gdpr.md).
  // The projection workers open what this thread seals: with the SQLite log and keys, they take
  // the plain values of the fields sealed here instead of deciphering them again (sealed-share.ts).
  const share = sqlite !== undefined && keys.file !== undefined ? createSealedShare() : undefined;
  const store = sealed(chain, keys.store, share);
  return {
    store,
    stored: chain,
    personal: store,
    audit: auditLog(engine),
    checkpoint: () => chain.checkpoint(),
    ...(sqlite !== undefined ? { sqlite } : {}),
    ...(keys.file !== undefined ? { keysFile: keys.file } : {}),
    ...(share !== undefined ? { sealedShare: share.memory } : {}),
  };
};

interface OpenedKeys {
  readonly store: KeyStore;
  readonly file?: string;
}

// Data keys live beside the read models: in Cassandra (their own keyspace) when the read
// models are there, which every node shares; else in the data directory (one node).
const openKeys = async (config: Config): Promise<OpenedKeys> => {
  const rs = config.engines.readStore;
  if (rs.kind === 'cassandra') {
    const { openCassandraKeyStore } = await import('../adapters/keystore/cassandra.js');
    const { createCassandraClient } = await import('../adapters/read-store/cassandra.js');
    const store = openCassandraKeyStore({
      client: createCassandraClient({
        contactPoints: rs.contactPoints,
        localDataCenter: rs.localDataCenter,
        ...(rs.credentials ? { credentials: rs.credentials } : {}),
      }),
      keyspace: `${rs.keyspace}_keys`,
      replication: { class: 'NetworkTopologyStrategy', [rs.localDataCenter]: rs.replicationFactor },
      ownsClient: true,
    });
    return { store };
  }
  const file = join(config.dataDir, 'keys.db');
  return { store: createSqliteKeyStore(file, { writer: 'thread' }), file };
};

/**
 * Whether every node of the cluster follows this log (JetStream, EventStoreDB): then each node
 * delivers live frames from the log itself; a log of one node's own (embedded, memory) is known
 * to its peers only through the bus.
 */
export const logSharedByNodes = (config: Config): boolean => isSharedLog(config.eventStore);

export const eventsFile = (config: Config): string => join(config.dataDir, 'events.db');

export const openLog = async (config: Config, log?: Logger): Promise<OpenedLog> => {
  if (config.eventStore === 'embedded') {
    const sqlite = createSqliteEventStore({
      file: eventsFile(config),
      writerThread: config.embeddedWriter === 'thread',
    });
    return auditable(sqlite, await openKeys(config), log, sqlite);
  }
  const engine = await openEventStore(config.eventStore, { dataDir: config.dataDir });
  return auditable(engine, await openKeys(config), log);
};

export interface OpenedProjection<T = object> {
  readonly runner: ProjectionRunner;
  readonly value: T;
  close(): Promise<void>;
}

/** Events a projection quarantined (the node counts them in a metric). */
export type OnDeadLetters = (dead: readonly DeadLetter[]) => void;

/** Read models: Cassandra when configured; else SQLite, in a worker thread when the log is SQLite too. */
export const openReadModels = async (
  config: Config,
  log: OpenedLog,
  logger: Logger,
  clock: Clock,
  onDeadLetters?: OnDeadLetters,
  onPromoted?: (file: string) => void,
): Promise<OpenedProjection<ReadModels>> => {
  const quarantine = onDeadLetters === undefined ? {} : { onDeadLetters };
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
      ...quarantine,
    });
    return { runner: c.runner, value: c.models, close: () => c.close() };
  }
  const readFile = join(config.dataDir, 'read.db');
  const embedded =
    log.sqlite === undefined
      ? openEmbeddedReadStore({ file: readFile, store: log.store, log: logger, clock, ...quarantine })
      : await openThreadedReadStore({
          readFile,
          eventsFile: eventsFile(config),
          keysFile: log.keysFile,
          ...(log.sealedShare === undefined ? {} : { sealedShare: log.sealedShare }),
          store: log.sqlite,
          log: logger,
          clock,
          ...quarantine,
          ...(onPromoted === undefined ? {} : { onPromoted }),
        });
  return { runner: embedded.runner, value: embedded.models, close: () => embedded.close() };
};

/** The search/analytics projection: Elasticsearch when configured, else SQLite FTS5 (in a worker with the SQLite log). */
export const openSearchProjection = async (
  config: Config,
  log: OpenedLog,
  logger: Logger,
  onDeadLetters?: OnDeadLetters,
): Promise<OpenedProjection<SearchQueries>> => {
  const quarantine = onDeadLetters === undefined ? {} : { onDeadLetters };
  const s = config.engines.search;
  const file = join(config.dataDir, 'search.db');
  if (s.kind === 'embedded' && log.sqlite !== undefined && log.keysFile !== undefined) {
    const worker = await startProjectionWorker({
      kind: 'search',
      file,
      eventsFile: eventsFile(config),
      keysFile: log.keysFile,
      ...(log.sealedShare === undefined ? {} : { sealedShare: log.sealedShare }),
      store: log.sqlite,
      log: logger,
      ...quarantine,
    });
    // The worker created the live generation's tables before saying ready; this thread only queries.
    const reader = embeddedSearchReader(file);
    return {
      runner: worker.runner,
      value: reader,
      close: async () => {
        reader.close();
        await worker.close();
      },
    };
  }
  const index =
    s.kind === 'elastic'
      ? await openElasticSearchIndex({ url: s.url, prefix: s.prefix, replicas: s.replicas })
      : createEmbeddedSearchIndex({ file });
  const search = searchProjection({ index, store: log.store, log: logger, ...quarantine });
  return { runner: search.runner, value: search.index, close: () => search.close() };
};

/** The bus chosen by MSGXC_BUS: in-process (one node) or NATS (several nodes). */
export const openBus = async (config: Config, log: Logger, network?: InProcessNetwork): Promise<Bus> => {
  const onError = (e: unknown): void => {
    log.warn({ err: e instanceof Error ? e.message : String(e) }, 'bus error');
  };
  if (config.bus === 'inprocess') return createInProcessBus({ onError, ...(network === undefined ? {} : { network }) });
  if (config.natsUrl === undefined) throw new Error('MSGXC_NATS_URL is required with MSGXC_BUS=nats');
  return createNatsBus({ servers: config.natsUrl, prefix: config.busPrefix, name: `msgxc-${config.nodeId}`, onError });
};

/**
 * Idempotency records of the HTTP API, where every node that shares the log sees them: with
 * the log on JetStream, a key-value bucket on the same cluster (`<stream>_IDEMPOTENCY`, the
 * log's replicas, MSGXC_IDEMPOTENCY_TTL as its max age); else SQLite in the data directory
 * (the embedded log has one node; on EventStoreDB each node keeps its own, docs/production.md).
 */
export const openIdempotencyStore = async (config: Config): Promise<IdempotencyStore> => {
  if (config.eventStore.startsWith('nats://')) {
    const { servers, options } = parseNatsUrl(config.eventStore);
    const { openKvIdempotencyStore } = await import('../adapters/idempotency/jetstream-kv.js');
    return openKvIdempotencyStore({
      servers,
      bucket: `${options.streamName ?? 'MSGXC_EVENTS'}_IDEMPOTENCY`,
      replicas: options.replicas ?? 1,
      ttlMs: config.idempotencyTtlSec * 1000,
    });
  }
  return createSqliteIdempotencyStore(join(config.dataDir, 'idempotency.db'));
};

/**
 * Delivery's private state (directory, units, timers, checkpoints): SQLite in the data
 * directory on every stack for now; a networked engine implements ports/delivery-state.ts.
 */
export const openDeliveryState = (config: Config): DeliveryStateStore =>
  openSqliteDeliveryState(deliveryStateFile(config));

export const deliveryStateFile = (config: Config): string => join(config.dataDir, 'reactors.db');

/**
 * Where reactors nodes keep the snapshot of delivery's state (app/reactors-snapshots.ts): with
 * the log on JetStream, an object store on the same cluster (`<stream>_REACTORS`, the log's
 * replicas); none on the other logs (an embedded log has one node, whose state file stays
 * beside it) or with MSGXC_REACTORS_SNAPSHOT_MS=0.
 */
export const openStateSnapshots = async (config: Config): Promise<StateSnapshots | undefined> => {
  if (!config.eventStore.startsWith('nats://') || config.triage.snapshotMs === 0) return undefined;
  const { servers, options } = parseNatsUrl(config.eventStore);
  const { openJetStreamSnapshots } = await import('../adapters/state-snapshot/jetstream-object.js');
  return openJetStreamSnapshots({
    servers,
    bucket: `${options.streamName ?? 'MSGXC_EVENTS'}_REACTORS`,
    replicas: options.replicas ?? 1,
  });
};

export interface OpenedChannels {
  readonly channels: Channels;
  readonly outbox: OutboxStore;
  close(): Promise<void>;
}

/** Each channel is its provider's SDK when credentials are configured, else the outbox (SQLite). */
/** The outbox alone (outbox.db): what an embedded node's main thread lists while its reactors' thread sends. */
export const openOutbox = (config: Config): OutboxStore =>
  createSqliteOutbox({
    file: join(config.dataDir, 'outbox.db'),
    max: config.channels.settings.outboxMax,
  });

export const openChannels = (config: Config, clock: Clock): OpenedChannels => {
  const outbox = openOutbox(config);
  const now = (): number => clock.now().getTime();
  const secret = config.compat.receiptSecret;
  const channels = createChannels(config.channels, {
    outbox,
    now,
    ...(secret !== undefined ? { receipts: receiptSigner(secret, config.compat.receiptTokenTtlSec, now) } : {}),
  });
  return {
    channels,
    outbox,
    close: async () => {
      await channels.close();
      await outbox.close();
    },
  };
};
