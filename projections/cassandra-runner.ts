import type { EventStore, RecordedEvent, Subscription } from '../ports/eventstore.js';
import type { CassandraDb } from './cassandra-db.js';
import { CL, long, num } from './cassandra-db.js';
import { cassandraDispatcher, newBatchMemo } from './cassandra-projection.js';
import type { CassandraProjection, Mutation } from './cassandra-projection.js';
import { writeMutations } from './cassandra-writes.js';
import type { WriteOptions } from './cassandra-writes.js';
import { cassandraProjections } from './cassandra-tables.js';
import { createWaiters, decodeBatch } from './runner-core.js';
import type { ProjectionLog, Skipped } from './runner-core.js';
import type { ProjectionRunner, ProjectionStatus, RebuildReport } from '../ports/projections.js';

// The runner for the Cassandra read models: one checkpoint (`cassandra-read-models`). Each
// batch read from the log becomes mutations, which are written (grouped by partition,
// concurrently), and only THEN is the checkpoint written. A crash in between re-applies the
// batch on restart: at-least-once, which is safe because every write is idempotent by its
// natural key and carries a timestamp derived from its event's position.

export const CASSANDRA_RUNNER_NAME = 'cassandra-read-models';

export interface CassandraRunnerOptions {
  readonly store: EventStore;
  readonly db: CassandraDb;
  readonly projections?: readonly CassandraProjection[];
  readonly log?: ProjectionLog;
  /** Events per read while rebuilding (default 1000). */
  readonly pageSize?: number;
  readonly writes?: WriteOptions;
  /** Pause before a failed batch is retried from the last checkpoint (default 1000 ms). */
  readonly retryDelayMs?: number;
}

export interface CassandraProjectionRunner extends ProjectionRunner {
  skipped(): Skipped;
}

export const readCassandraCheckpoint = async (db: CassandraDb, name: string): Promise<number> => {
  const [row] = await db.read(`SELECT position FROM ${db.t('projection_checkpoints')} WHERE name = ?`, [name]);
  return row === undefined ? 0 : num(row.position);
};

/** Also used by tests and operators to move a projection back (it then re-applies, idempotently). */
export const writeCassandraCheckpoint = async (db: CassandraDb, name: string, position: number): Promise<void> => {
  // A normal (current) timestamp, not a position: moving the checkpoint back must win.
  await db.client.execute(
    `INSERT INTO ${db.t('projection_checkpoints')} (name, position) VALUES (?, ?)`,
    [name, long(position)],
    { prepare: true, consistency: CL.write, isIdempotent: true },
  );
};

/** Reads the stored checkpoint, so `status()` is right before `start()`. */
export const createCassandraRunner = async (options: CassandraRunnerOptions): Promise<CassandraProjectionRunner> => {
  const { store, db, log, pageSize = 1_000, retryDelayMs = 1_000 } = options;
  const projections = options.projections ?? cassandraProjections;
  const apply = cassandraDispatcher(db, projections);
  let position = await readCassandraCheckpoint(db, CASSANDRA_RUNNER_NAME);
  let subscription: Subscription | undefined;
  let running = false;
  let retry: NodeJS.Timeout | undefined;
  let rebuilding: Promise<RebuildReport> | undefined;
  const skipped = { unknown: 0, invalid: 0 };
  const waiters = createWaiters();

  const applyAndNotify = async (events: readonly RecordedEvent[]): Promise<void> => {
    const batch = decodeBatch(events, position);
    const memo = newBatchMemo();
    const mutations: Mutation[] = [];
    for (const { event, at } of batch.events) mutations.push(...(await apply(event, at, memo)));
    await writeMutations(db, mutations, options.writes);
    if (batch.last !== position) await writeCassandraCheckpoint(db, CASSANDRA_RUNNER_NAME, batch.last);
    position = batch.last;
    skipped.unknown += batch.unknown;
    skipped.invalid += batch.bad.length;
    for (const r of batch.bad)
      log?.warn({ position: r.position, type: r.type, stream: r.stream }, 'projection skipped an undecodable event');
    waiters.notify(position);
  };

  const closeSubscription = async (): Promise<void> => {
    clearTimeout(retry);
    retry = undefined;
    const s = subscription;
    subscription = undefined;
    await s?.close();
  };

  // A failed batch (a timeout, a node down) is retried after a pause by subscribing again from
  // the last checkpoint, rather than waiting for the next append as the embedded runner does:
  // a network store can fail while the log is quiet.
  const subscribe = (): void => {
    subscription = store.subscribeAll(position, applyAndNotify, (e) => {
      log?.error({ err: e, position }, `projection batch failed; retrying in ${retryDelayMs} ms`);
      retry ??= setTimeout(() => {
        retry = undefined;
        void closeSubscription().then(() => {
          if (running && subscription === undefined) subscribe();
        });
      }, retryDelayMs);
    });
  };
  const start = (): void => {
    if (running) return;
    running = true;
    subscribe();
  };

  const replayAll = async (onProgress?: (position: number, head: number) => void): Promise<RebuildReport> => {
    const wasRunning = running;
    running = false;
    await closeSubscription();
    try {
      // Checkpoint first: if the rebuild stops half-way, the runner replays from zero.
      await writeCassandraCheckpoint(db, CASSANDRA_RUNNER_NAME, 0);
      position = 0;
      // TRUNCATE needs every replica up (it runs at ALL) and may take a while on a busy node.
      for (const table of projections.flatMap((p) => p.tables))
        await db.client.execute(`TRUNCATE ${db.t(table)}`, [], { prepare: false, readTimeout: 120_000 });
      // The counts describe what the current read models were built without.
      skipped.unknown = 0;
      skipped.invalid = 0;
      const head = await store.head();
      let replayed = 0;
      for (;;) {
        const batch = await store.readAll({ after: position, limit: pageSize });
        if (batch.length === 0) break;
        await applyAndNotify(batch);
        replayed += batch.length;
        onProgress?.(position, Math.max(head, position));
      }
      return { replayed };
    } finally {
      // After a failure too: following the log from the checkpoint finishes the replay.
      if (wasRunning) start();
    }
  };

  return {
    start,
    waitFor: (target, timeoutMs) => waiters.wait(target, () => position, timeoutMs),
    status: (): readonly ProjectionStatus[] => [{ name: CASSANDRA_RUNNER_NAME, position }],
    skipped: () => ({ ...skipped }),
    rebuild: (onProgress) => {
      rebuilding ??= replayAll(onProgress).finally(() => {
        rebuilding = undefined;
      });
      return rebuilding;
    },
    stop: async () => {
      running = false;
      await closeSubscription();
      waiters.rejectAll(new Error('projection runner stopped'));
    },
  };
};
