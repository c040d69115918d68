import type { Database } from 'better-sqlite3';
import { isRight } from 'fp-ts/lib/Either.js';
import type { EventStore, RecordedEvent, Subscription } from '../adapters/eventstore/port.js';
import { DomainEvent } from '../schema/events.js';
import { EventMetadata } from '../schema/metadata.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { dispatcher } from './projection.js';
import { embeddedProjections, ensureReadModels, recreateReadModels } from './schema.js';
import type { ProjectionRunner, ProjectionStatus } from './types.js';

/** The subset of a pino logger the runner uses. */
export interface ProjectionLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ProjectionRunnerOptions {
  readonly store: EventStore;
  readonly db: Database;
  readonly log?: ProjectionLog;
  /** Events per read while rebuilding (default 1000). */
  readonly pageSize?: number;
}

export interface Skipped {
  /** Types no read model knows (other components' events): expected, not logged. */
  readonly unknown: number;
  /** Known types whose data or metadata does not decode: logged, since they hint at a bug. */
  readonly invalid: number;
}

export interface EmbeddedProjectionRunner extends ProjectionRunner {
  skipped(): Skipped;
}

export const RUNNER_NAME = 'embedded-read-models';
const KNOWN = new Set<string>(DomainEvent.types.map((c) => c.name));
const DEFAULT_WAIT_MS = 5_000;

interface Waiter { readonly position: number; readonly resolve: () => void; readonly reject: (e: Error) => void }

export const createProjectionRunner = ({ store, db, log, pageSize = 1_000 }: ProjectionRunnerOptions): EmbeddedProjectionRunner => {
  ensureReadModels(db);
  let apply = dispatcher(db, embeddedProjections);
  let position = readCheckpoint(db, RUNNER_NAME);
  let subscription: Subscription | undefined;
  let rebuilding: Promise<void> | undefined;
  const skipped = { unknown: 0, invalid: 0 };
  const waiters = new Set<Waiter>();

  // One transaction per batch, checkpoint included: for SQLite each event applies exactly once.
  const applyBatch = db.transaction((events: readonly RecordedEvent[]) => {
    let last = position;
    const bad: RecordedEvent[] = [];
    let unknown = 0;
    for (const r of events) {
      if (r.position <= last) continue; // redelivered: already in this file
      last = r.position;
      const event = DomainEvent.decode({ type: r.type, data: r.data });
      const meta = EventMetadata.decode(r.metadata);
      if (isRight(event) && isRight(meta)) apply(event.right, { position: r.position, occurredAt: meta.right.occurredAt });
      else if (KNOWN.has(r.type)) bad.push(r);
      else unknown += 1;
    }
    if (last !== position) writeCheckpoint(db, RUNNER_NAME, last);
    return { last, bad, unknown };
  });

  const applyAndNotify = (events: readonly RecordedEvent[]): void => {
    const { last, bad, unknown } = applyBatch(events);
    position = last;
    skipped.unknown += unknown;
    skipped.invalid += bad.length;
    for (const r of bad) log?.warn({ position: r.position, type: r.type, stream: r.stream }, 'projection skipped an undecodable event');
    for (const w of waiters) if (w.position <= position) { waiters.delete(w); w.resolve(); }
  };

  const start = (): void => {
    if (subscription !== undefined) return;
    position = readCheckpoint(db, RUNNER_NAME);
    subscription = store.subscribeAll(
      position,
      // A throw in the executor rejects, so a failed batch is retried from the last checkpoint on the next append.
      (events) => new Promise<void>((resolve) => { applyAndNotify(events); resolve(); }),
      (e) => { log?.error({ err: e, position }, 'projection batch failed; retrying on the next append'); },
    );
  };

  const closeSubscription = async (): Promise<void> => {
    const s = subscription;
    subscription = undefined;
    await s?.close();
  };

  const waitFor = (target: number, timeoutMs = DEFAULT_WAIT_MS): Promise<void> => {
    if (target <= position) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(w);
        reject(new Error(`read models at position ${position} did not reach ${target} within ${timeoutMs} ms`));
      }, timeoutMs);
      const w: Waiter = {
        position: target,
        resolve: () => { clearTimeout(timer); resolve(); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
      waiters.add(w);
    });
  };

  const replayAll = async (onProgress?: (position: number, head: number) => void): Promise<void> => {
    const wasRunning = subscription !== undefined;
    await closeSubscription();
    recreateReadModels(db);
    apply = dispatcher(db, embeddedProjections);
    position = 0;
    // The counts describe what the current read models were built without.
    skipped.unknown = 0;
    skipped.invalid = 0;
    const head = await store.head();
    for (;;) {
      const batch = await store.readAll({ after: position, limit: pageSize });
      if (batch.length === 0) break;
      applyAndNotify(batch);
      onProgress?.(position, Math.max(head, position));
    }
    if (wasRunning) start();
  };

  return {
    start,
    waitFor,
    status: (): readonly ProjectionStatus[] => [{ name: RUNNER_NAME, position }],
    skipped: () => ({ ...skipped }),
    rebuild: (onProgress) => {
      rebuilding ??= replayAll(onProgress).finally(() => { rebuilding = undefined; });
      return rebuilding;
    },
    stop: async () => {
      await closeSubscription();
      for (const w of waiters) w.reject(new Error('projection runner stopped'));
      waiters.clear();
    },
  };
};
