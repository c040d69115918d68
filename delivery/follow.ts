import type { At } from '../domain/delivery/units.js';
import { createFollower } from '../follower/follower.js';
import { createWaiters } from '../follower/waiters.js';
import type { Clock } from '../ports/clock.js';
import type { DeliveryStateStore } from '../ports/delivery-state.js';
import type { EventStore } from '../ports/eventstore.js';
import type { DeadLetter, Effect, Followed, FollowerHandler, Pause, Stalled } from '../ports/follower.js';
import type { DomainEvent } from '../schema/events.js';
import { GroupCache, StateWork } from './state-work.js';
import type { ReactorLog } from './types.js';

// A delivery follower: the one log follower (follower/), with delivery's state as its handler.
// Each batch folds into one StateWork (changes the pure folds computed) committed with the
// position of the last event folded, in the same transaction where the engine has them
// (SQLite), so it applies each event once; the follower's own checkpoint store (the same
// table, adapters/checkpoint/) then moves past the events the fold did not look at, and records
// dead letters. A fold may return an effect (appends to the log): the batch up to and including
// that event is committed first (so the effect sees it) with the position BEFORE the event, and
// the follower passes the event only after the effect succeeded (a Pause), so a crash in
// between runs the (idempotent) effect again.
export type { Effect };
export type Fold = (event: DomainEvent, at: At, work: StateWork) => Promise<Effect | undefined>;

export interface FollowerOptions {
  readonly name: string;
  readonly store: EventStore;
  readonly state: DeliveryStateStore;
  /** Event types the fold looks at; others only move the checkpoint (and are not decoded). */
  readonly types: ReadonlySet<string>;
  readonly fold: Fold;
  /** After each batch is applied (e.g. to wake the scheduler). */
  readonly afterBatch?: () => void;
  readonly log: ReactorLog;
  /** Stamps dead letters. */
  readonly clock: Clock;
  /** Events the follower quarantined (for a metric); they are also kept in `state.checkpoints`. */
  readonly onDeadLetters?: (dead: readonly DeadLetter[]) => void;
}

export interface Follower {
  start(): Promise<void>;
  /** Stops following; resolves once the batch in hand is done (or abandoned at its next step). */
  stop(): Promise<void>;
  position(): number;
  /** While the batch after the stored position keeps failing (follower/follower.ts): where, since when. */
  stalled(): Stalled | null;
  /** Resolves once the follower has applied the log up to `position` (or has stopped). */
  caughtUp(position: number): Promise<void>;
}

// caughtUp has no deadline of its own: its callers race it with theirs (runner.ts).
const NO_DEADLINE_MS = 2 ** 31 - 1;

const atOf = (f: Followed): At => ({
  position: f.position,
  stream: f.stream,
  revision: f.revision,
  eventId: f.metadata.eventId,
  correlationId: f.metadata.correlationId,
});

/** Delivery's fold as a follower handler over its state store. */
export const foldHandler = (
  name: string,
  state: DeliveryStateStore,
  types: ReadonlySet<string>,
  fold: Fold,
): FollowerHandler => {
  const groups = new GroupCache();
  return {
    types,
    handle: async (events): Promise<Pause | undefined> => {
      const work = new StateWork(state, groups);
      for (const [at, e] of events.entries()) {
        const effect = await fold(e.event, atOf(e), work);
        if (effect !== undefined) {
          await state.commit(work.batch({ name, position: e.position - 1 }));
          work.committed();
          return { at, effect };
        }
      }
      const last = events[events.length - 1];
      if (last !== undefined) {
        await state.commit(work.batch({ name, position: last.position }));
        work.committed();
      }
      return undefined;
    },
  };
};

export const startFollower = (o: FollowerOptions): Follower => {
  let position = 0;
  let stopped = false;
  // A function, not the variable: stop() may flip it while start() awaits the checkpoint.
  const isStopped = (): boolean => stopped;
  let follower: ReturnType<typeof createFollower> | undefined;
  const waiters = createWaiters();
  const started = (): boolean => follower !== undefined;
  const moved = (p: number): void => {
    position = Math.max(position, p);
    waiters.notify(position);
  };
  return {
    start: async () => {
      if (follower !== undefined || stopped) return;
      const from = await o.state.checkpoints.read(o.name);
      if (isStopped() || started()) return;
      moved(from);
      follower = createFollower({
        name: o.name,
        store: o.store,
        from,
        handler: foldHandler(o.name, o.state, o.types, o.fold),
        checkpoints: o.state.checkpoints,
        now: () => o.clock.now().toISOString(),
        log: o.log,
        onPosition: moved,
        ...(o.afterBatch === undefined ? {} : { afterBatch: o.afterBatch }),
        ...(o.onDeadLetters === undefined ? {} : { onDeadLetters: o.onDeadLetters }),
      });
      follower.start();
    },
    stop: async () => {
      stopped = true;
      await follower?.stop();
      // As before: a waiter is released by a stop, not failed.
      waiters.notify(Number.POSITIVE_INFINITY);
    },
    position: () => position,
    stalled: () => follower?.health().stalled ?? null,
    caughtUp: (target) =>
      stopped ? Promise.resolve() : waiters.wait(target, () => position, NO_DEADLINE_MS).catch(() => undefined),
  };
};
