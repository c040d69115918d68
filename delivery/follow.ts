import { isRight } from 'fp-ts/lib/Either.js';
import type { At } from '../domain/delivery/units.js';
import type { DeliveryStateStore } from '../ports/delivery-state.js';
import type { EventStore, RecordedEvent, Subscription } from '../ports/eventstore.js';
import { DomainEvent } from '../schema/events.js';
import { StateWork } from './state-work.js';
import type { ReactorLog } from './types.js';

// A delivery follower: it follows the log from its own checkpoint in delivery's state store,
// folds each event into a batch of changes (StateWork), and commits the batch with the
// checkpoint, so it applies each event once. A fold may also return an effect (appends to
// the log): the batch up to and including that event is committed first (so the effect sees
// it) with the checkpoint BEFORE the event, and the checkpoint passes the event only after the
// effect succeeded, so a crash in between runs the (idempotent) effect again.
// (Issue 11 stage B's one log follower will take this over; its handler contract is this one.)
export type Effect = () => Promise<void>;
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
  /** Wait before resubscribing after a failed batch (default 1000 ms). */
  readonly retryMs?: number;
}

export interface Follower {
  start(): Promise<void>;
  /** Stops following; resolves once the batch in hand is done (or abandoned at its next step). */
  stop(): Promise<void>;
  position(): number;
  /** Resolves once the follower has applied the log up to `position`. */
  caughtUp(position: number): Promise<void>;
}

export const startFollower = (o: FollowerOptions): Follower => {
  let position = 0;
  let subscription: Subscription | undefined;
  let retry: NodeJS.Timeout | undefined;
  let stopped = false;
  let inHand: Promise<void> = Promise.resolve();
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

  // Folds events from index `from` until one returns an effect, and commits them with the
  // checkpoint of the last event that is completely done. The effect's event is folded, not done.
  const foldRun = async (
    events: readonly RecordedEvent[],
    from: number,
  ): Promise<{ next: number; done: number; effect?: { run: Effect; at: number } }> => {
    const work = new StateWork(o.state);
    let done = position;
    let effect: { run: Effect; at: number } | undefined;
    let i = from;
    for (; i < events.length && effect === undefined; i++) {
      const r = events[i];
      if (r === undefined || r.position <= done) continue;
      if (o.types.has(r.type)) {
        const decoded = DomainEvent.decode({ type: r.type, data: r.data });
        if (isRight(decoded)) {
          const at = {
            position: r.position,
            revision: r.revision,
            eventId: r.metadata.eventId,
            correlationId: r.metadata.correlationId,
          };
          const run = await o.fold(decoded.right, at, work);
          if (run !== undefined) {
            effect = { run, at: r.position };
            continue;
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
    if (done !== position || !work.empty()) await o.state.commit(work.batch({ name: o.name, position: done }));
    return effect === undefined ? { next: i, done } : { next: i, done, effect };
  };

  const handle = async (events: readonly RecordedEvent[]): Promise<void> => {
    for (let i = 0; i < events.length && !isStopped(); ) {
      const run = await foldRun(events, i);
      moved(run.done);
      if (run.effect === undefined) break;
      if (isStopped()) return;
      await run.effect.run();
      if (isStopped()) return;
      await o.state.commit({ checkpoint: { name: o.name, position: run.effect.at } });
      moved(run.effect.at);
      i = run.next;
    }
    o.afterBatch?.();
  };

  const subscribe = (): void => {
    if (stopped) return;
    subscription = o.store.subscribeAll(
      position,
      (events) => {
        inHand = handle(events);
        return inHand;
      },
      (e) => {
        o.log.error({ err: e, reactor: o.name, position }, 'reactor batch failed; resubscribing');
        const s = subscription;
        subscription = undefined;
        void s?.close();
        retry = setTimeout(subscribe, o.retryMs ?? 1_000);
      },
    );
  };

  return {
    start: async () => {
      if (subscription !== undefined || stopped) return;
      position = await o.state.checkpoint(o.name);
      if (!isStopped()) subscribe();
    },
    stop: async () => {
      stopped = true;
      clearTimeout(retry);
      const s = subscription;
      subscription = undefined;
      await s?.close();
      await inHand.catch(() => undefined);
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
