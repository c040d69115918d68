import type { Database } from 'better-sqlite3';
import { isRight } from 'fp-ts/lib/Either.js';
import type { EventStore, RecordedEvent, Subscription } from '../../ports/eventstore.js';
import { readReactorCheckpoint, writeReactorCheckpoint } from '../../projections/deliveries/tables.js';
import type { FoldContext } from '../../projections/deliveries/fold-context.js';
import { DomainEvent } from '../../schema/events.js';
import type { ReactorLog } from './ports.js';

// A reactor that follows the log from its own checkpoint. Its fold writes its read model in
// the same SQLite transaction as the checkpoint, so it applies each event once. A fold may
// also return an effect (appends to the log): the checkpoint moves past that event only
// after the effect succeeded, so a crash in between runs the (idempotent) effect again.
export type Effect = () => Promise<void>;
export type ReactorFold = (event: DomainEvent, at: FoldContext) => Effect | undefined;

export interface LogReactorOptions {
  readonly name: string;
  readonly store: EventStore;
  readonly db: Database;
  /** Event types the fold looks at; others only move the checkpoint (and are not decoded). */
  readonly types: ReadonlySet<string>;
  readonly fold: ReactorFold;
  /** After each batch is applied (e.g. to wake the scheduler). */
  readonly afterBatch?: () => void;
  readonly log: ReactorLog;
  /** Wait before resubscribing after a failed batch (default 1000 ms). */
  readonly retryMs?: number;
}

export interface LogReactor {
  start(): void;
  stop(): Promise<void>;
  position(): number;
  /** Resolves once the reactor has applied the log up to `position`. */
  caughtUp(position: number): Promise<void>;
}

export const startLogReactor = (o: LogReactorOptions): LogReactor => {
  let position = readReactorCheckpoint(o.db, o.name);
  let subscription: Subscription | undefined;
  let retry: NodeJS.Timeout | undefined;
  let stopped = false;
  // A function, not the variable: stop() flips it while handle() is suspended in an await.
  const isStopped = (): boolean => stopped;
  const waiters = new Set<{ target: number; resolve: () => void }>();
  const moved = (p: number): void => {
    position = p;
    for (const w of waiters)
      if (w.target <= p) {
        waiters.delete(w);
        w.resolve();
      }
  };

  // Folds events from index `from` until one returns an effect; commits them with the checkpoint
  // of the last event that is completely done (`done`). The effect's event is folded but not done.
  const foldRun = o.db.transaction(
    (
      events: readonly RecordedEvent[],
      from: number,
    ): { next: number; done: number; effect?: { run: Effect; at: number } } => {
      let done = position;
      for (let i = from; i < events.length; i++) {
        const r = events[i];
        if (r === undefined || r.position <= done) continue;
        if (o.types.has(r.type)) {
          const decoded = DomainEvent.decode({ type: r.type, data: r.data });
          if (isRight(decoded)) {
            const effect = o.fold(decoded.right, {
              position: r.position,
              revision: r.revision,
              eventId: r.metadata.eventId,
              correlationId: r.metadata.correlationId,
            });
            if (effect !== undefined) {
              if (done !== position) writeReactorCheckpoint(o.db, o.name, done);
              return { next: i + 1, done, effect: { run: effect, at: r.position } };
            }
          } else {
            o.log.warn(
              { reactor: o.name, position: r.position, type: r.type, stream: r.stream },
              'reactor skipped an undecodable event',
            );
          }
        }
        done = r.position;
      }
      if (done !== position) writeReactorCheckpoint(o.db, o.name, done);
      return { next: events.length, done };
    },
  );

  const handle = async (events: readonly RecordedEvent[]): Promise<void> => {
    for (let i = 0; i < events.length && !stopped; ) {
      const run = foldRun(events, i);
      moved(run.done);
      if (run.effect === undefined) break;
      await run.effect.run();
      if (isStopped()) return;
      writeReactorCheckpoint(o.db, o.name, run.effect.at);
      moved(run.effect.at);
      i = run.next;
    }
    o.afterBatch?.();
  };

  const subscribe = (): void => {
    if (stopped) return;
    subscription = o.store.subscribeAll(position, handle, (e) => {
      o.log.error({ err: e, reactor: o.name, position }, 'reactor batch failed; resubscribing');
      const s = subscription;
      subscription = undefined;
      void s?.close();
      retry = setTimeout(subscribe, o.retryMs ?? 1_000);
    });
  };

  return {
    start: () => {
      if (subscription === undefined && !stopped) subscribe();
    },
    stop: async () => {
      stopped = true;
      clearTimeout(retry);
      const s = subscription;
      subscription = undefined;
      await s?.close();
      for (const w of waiters) w.resolve();
      waiters.clear();
    },
    position: () => position,
    caughtUp: (target) =>
      target <= position || stopped
        ? Promise.resolve()
        : new Promise((resolve) => {
            waiters.add({ target, resolve });
          }),
  };
};
