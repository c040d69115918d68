import type { EventStore, RecordedEvent, Subscription } from '../ports/eventstore.js';
import type { DeadLetter, FollowerHealth, Skipped } from '../ports/follower.js';
import { applyQuarantining } from './apply.js';
import type { Target } from './apply.js';
import { Aborted, DEFAULT_BACKOFF, abortableSleep, delayOf } from './waiters.js';
import type { Backoff } from './waiters.js';

// Follows the log from a position: catch up, then live, one batch at a time through
// applyBatch. A failed batch is retried in place with backoff until it succeeds or the
// follower stops, and a subscription that fails is opened again from the stored position:
// no follower stops following after a failure, whatever its engine.

/** The part of the node's logger (ports/log.ts) a follower writes to. */
export interface FollowerLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface FollowerOptions extends Target {
  readonly store: Pick<EventStore, 'subscribeAll'>;
  /** The stored position to continue after (read by the caller from `checkpoints`). */
  readonly from: number;
  readonly log?: FollowerLog;
  readonly retry?: Backoff;
  /** After each commit, with the position now stored. */
  readonly onPosition?: (position: number) => void;
  /** Events quarantined by a committed batch. */
  readonly onDeadLetters?: (dead: readonly DeadLetter[]) => void;
  /** After each batch (e.g. to wake a scheduler). */
  readonly afterBatch?: () => void;
  /** Each failed batch or subscription (the follower retries it). */
  readonly onFailure?: (e: unknown) => void;
}

export interface Follower {
  readonly name: string;
  start(): void;
  /** Closes the subscription and waits for the batch in flight (its retries are cut short). */
  stop(): Promise<void>;
  position(): number;
  health(): FollowerHealth;
  skipped(): Skipped;
}

const text = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export const createFollower = (o: FollowerOptions): Follower => {
  const retry = o.retry ?? DEFAULT_BACKOFF;
  let position = o.from;
  let abort: AbortController | undefined;
  let subscription: Subscription | undefined;
  let resubscribe: NodeJS.Timeout | undefined;
  let failedSubscriptions = 0;
  const health = { failures: 0, lastError: null as string | null };
  const skipped = { unknown: 0, invalid: 0 };

  const failed = (e: unknown): void => {
    health.failures += 1;
    health.lastError = text(e);
    o.onFailure?.(e);
  };

  const once = async (events: readonly RecordedEvent[]): Promise<void> => {
    const r = await applyQuarantining(o, events, position, {
      onCommit: (p) => {
        position = Math.max(position, p);
        o.onPosition?.(position);
      },
    });
    position = r.position;
    skipped.unknown += r.unknown;
    skipped.invalid += r.dead.length - r.unknown;
    for (const d of r.dead)
      o.log?.warn(
        { follower: o.name, position: d.position, type: d.type, stream: d.stream, reason: d.reason },
        `${o.name} quarantined an event it cannot decode or handle`,
      );
    if (r.dead.length > 0) o.onDeadLetters?.(r.dead);
    o.afterBatch?.();
  };

  const handle = async (events: readonly RecordedEvent[], signal: AbortSignal): Promise<void> => {
    for (let attempt = 0; ; attempt += 1) {
      signal.throwIfAborted();
      try {
        await once(events);
        failedSubscriptions = 0;
        return;
      } catch (e) {
        if (signal.aborted) throw new Aborted();
        failed(e);
        o.log?.error({ err: text(e), follower: o.name, position, attempt }, `${o.name}: batch failed; retrying`);
        await abortableSleep(delayOf(retry, attempt), signal);
      }
    }
  };

  const subscribe = (signal: AbortSignal): void => {
    subscription = o.store.subscribeAll(
      position,
      (events) => handle(events, signal),
      (e) => {
        if (signal.aborted || e instanceof Aborted) return;
        failed(e);
        const delay = delayOf(retry, failedSubscriptions++);
        o.log?.error(
          { err: text(e), follower: o.name, position },
          `${o.name}: subscription failed; again in ${delay} ms`,
        );
        const s = subscription;
        subscription = undefined;
        resubscribe ??= setTimeout(() => {
          resubscribe = undefined;
          void (s?.close() ?? Promise.resolve()).then(() => {
            if (!signal.aborted && subscription === undefined) subscribe(signal);
          });
        }, delay);
      },
    );
  };

  return {
    name: o.name,
    start: () => {
      if (abort !== undefined) return;
      abort = new AbortController();
      subscribe(abort.signal);
    },
    stop: async () => {
      abort?.abort();
      abort = undefined;
      clearTimeout(resubscribe);
      resubscribe = undefined;
      const s = subscription;
      subscription = undefined;
      await s?.close();
    },
    position: () => position,
    health: () => ({ ...health }),
    skipped: () => ({ ...skipped }),
  };
};
