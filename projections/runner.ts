import type { Database } from 'better-sqlite3';
import type { EventStore, RecordedEvent, Subscription } from '../ports/eventstore.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { dispatcher } from './projection.js';
import { createWaiters, decodeBatch } from './runner-core.js';
import type { ProjectionLog, Skipped } from './runner-core.js';
import { embeddedProjections, ensureReadModels, recreateReadModels } from './tables.js';
import type { ProjectionRunner, ProjectionStatus, RebuildReport } from '../ports/projections.js';

export type { ProjectionLog, Skipped } from './runner-core.js';

export interface ProjectionRunnerOptions {
  readonly store: EventStore;
  readonly db: Database;
  readonly log?: ProjectionLog;
  /** Events per read while rebuilding (default 1000). */
  readonly pageSize?: number;
}

export interface EmbeddedProjectionRunner extends ProjectionRunner {
  skipped(): Skipped;
}

export const RUNNER_NAME = 'embedded-read-models';

export const createProjectionRunner = ({
  store,
  db,
  log,
  pageSize = 1_000,
}: ProjectionRunnerOptions): EmbeddedProjectionRunner => {
  ensureReadModels(db);
  let apply = dispatcher(db, embeddedProjections);
  let position = readCheckpoint(db, RUNNER_NAME);
  let subscription: Subscription | undefined;
  let rebuilding: Promise<RebuildReport> | undefined;
  const skipped = { unknown: 0, invalid: 0 };
  const waiters = createWaiters();

  // One transaction per batch, checkpoint included: for SQLite each event applies exactly once.
  // A redelivered prefix (position <= checkpoint) is already in this file and is dropped.
  const applyBatch = db.transaction((events: readonly RecordedEvent[]) => {
    const batch = decodeBatch(events, position);
    for (const { event, at } of batch.events) apply(event, at);
    if (batch.last !== position) writeCheckpoint(db, RUNNER_NAME, batch.last);
    return batch;
  });

  const applyAndNotify = (events: readonly RecordedEvent[]): void => {
    const { last, bad, unknown } = applyBatch(events);
    position = last;
    skipped.unknown += unknown;
    skipped.invalid += bad.length;
    for (const r of bad)
      log?.warn({ position: r.position, type: r.type, stream: r.stream }, 'projection skipped an undecodable event');
    waiters.notify(position);
  };

  const start = (): void => {
    if (subscription !== undefined) return;
    position = readCheckpoint(db, RUNNER_NAME);
    subscription = store.subscribeAll(
      position,
      // A throw in the executor rejects, so a failed batch is retried from the last checkpoint on the next append.
      (events) =>
        new Promise<void>((resolve) => {
          applyAndNotify(events);
          resolve();
        }),
      (e) => {
        log?.error({ err: e, position }, 'projection batch failed; retrying on the next append');
      },
    );
  };

  const closeSubscription = async (): Promise<void> => {
    const s = subscription;
    subscription = undefined;
    await s?.close();
  };

  const waitFor = (target: number, timeoutMs?: number): Promise<void> =>
    waiters.wait(target, () => position, timeoutMs);

  const replayAll = async (onProgress?: (position: number, head: number) => void): Promise<RebuildReport> => {
    const wasRunning = subscription !== undefined;
    await closeSubscription();
    recreateReadModels(db);
    apply = dispatcher(db, embeddedProjections);
    position = 0;
    // The counts describe what the current read models were built without.
    skipped.unknown = 0;
    skipped.invalid = 0;
    const head = await store.head();
    let replayed = 0;
    for (;;) {
      const batch = await store.readAll({ after: position, limit: pageSize });
      if (batch.length === 0) break;
      applyAndNotify(batch);
      replayed += batch.length;
      onProgress?.(position, Math.max(head, position));
    }
    if (wasRunning) start();
    return { replayed };
  };

  return {
    start,
    waitFor,
    status: (): readonly ProjectionStatus[] => [{ name: RUNNER_NAME, position }],
    skipped: () => ({ ...skipped }),
    rebuild: (onProgress) => {
      rebuilding ??= replayAll(onProgress).finally(() => {
        rebuilding = undefined;
      });
      return rebuilding;
    },
    stop: async () => {
      await closeSubscription();
      waiters.rejectAll(new Error('projection runner stopped'));
    },
  };
};
