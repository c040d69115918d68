import type { At } from '../domain/delivery/units.js';
import { createFollower } from '../follower/follower.js';
import { createWaiters } from '../follower/waiters.js';
import type { Clock } from '../ports/clock.js';
import type { DeliveryStateStore } from '../ports/delivery-state.js';
import type { EventStore } from '../ports/eventstore.js';
import type { DeadLetter, Effect, Followed, FollowerHandler, Pause, Stalled } from '../ports/follower.js';
import type { StateBatch } from '../schema/delivery-state.js';
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
// between runs the (idempotent) effect again. A fold may let the due events right after an
// effect's join it (`joins`): their effects then run together, after one commit (triage plans
// the messages of a run of sends at once: their appends share the log's group commits, where
// one message per pause left triage at 7-10 messages a second while sends filled the commits).
export type { Effect };
/** How many effects one pause runs together at most. */
export const EFFECTS_PER_PAUSE = 32;
export type Fold = (event: DomainEvent, at: At, work: StateWork) => Promise<Effect | undefined>;

export interface FollowerOptions {
  readonly name: string;
  readonly store: EventStore;
  readonly state: DeliveryStateStore;
  /** Event types the fold looks at; others only move the checkpoint (and are not decoded). */
  readonly types: ReadonlySet<string>;
  readonly fold: Fold;
  /**
   * Events that may be folded while the effects of events before them wait, their own effects
   * joining those: their folds must not change what the waiting effects read, and must return
   * an effect (folding them again after a crash is what makes them idempotent).
   */
  readonly joins?: (event: DomainEvent) => boolean;
  /** After each batch is applied (e.g. to wake the scheduler). */
  readonly afterBatch?: () => void;
  /** Right after a commit that set timers, with the earliest due time it set (the scheduler's wake). */
  readonly timersSet?: (earliest: number) => void;
  /** Each time the follower's position moves (a peer on another thread waits on it: runner.ts `TriagePeer`). */
  readonly onPosition?: (position: number) => void;
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

/** Runs every effect to its end (none left running when one fails), then fails with the first failure. */
const together =
  (effects: readonly Effect[]): Effect =>
  async () => {
    const settled = await Promise.allSettled(effects.map((effect) => effect()));
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  };

/** The earliest due time a batch sets, if it sets a timer. */
export const earliestTimer = (batch: StateBatch): number | undefined => {
  let earliest: number | undefined;
  for (const t of batch.timers ?? []) if (t.at !== null && (earliest === undefined || t.at < earliest)) earliest = t.at;
  return earliest;
};

/** Delivery's fold as a follower handler over its state store. */
export const foldHandler = (
  name: string,
  state: DeliveryStateStore,
  types: ReadonlySet<string>,
  fold: Fold,
  joins: (event: DomainEvent) => boolean = () => false,
  timersSet?: (earliest: number) => void,
): FollowerHandler => {
  const groups = new GroupCache();
  // Told at the commit, not after the batch: a pause's effect (triage planning) may take long.
  const commit = async (work: StateWork, checkpoint: { name: string; position: number }): Promise<void> => {
    const batch = work.batch(checkpoint);
    await state.commit(batch);
    work.committed();
    const earliest = earliestTimer(batch);
    if (earliest !== undefined) timersSet?.(earliest);
  };
  return {
    types,
    handle: async (events): Promise<Pause | undefined> => {
      const work = new StateWork(state, groups);
      for (const [at, e] of events.entries()) {
        const effect = await fold(e.event, atOf(e), work);
        if (effect !== undefined) {
          const effects = [effect];
          let through = at;
          for (let next = events[through + 1]; next !== undefined && effects.length < EFFECTS_PER_PAUSE; ) {
            if (!joins(next.event)) break;
            const more = await fold(next.event, atOf(next), work);
            through += 1;
            if (more !== undefined) effects.push(more);
            next = events[through + 1];
          }
          await commit(work, { name, position: e.position - 1 });
          return { at, through, effect: effects.length === 1 ? effect : together(effects) };
        }
      }
      const last = events[events.length - 1];
      if (last !== undefined) {
        await commit(work, { name, position: last.position });
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
    o.onPosition?.(position);
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
        handler: foldHandler(o.name, o.state, o.types, o.fold, o.joins, o.timersSet),
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
