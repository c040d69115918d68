import type { EventStore, RecordedEvent, Subscription } from '../ports/eventstore.js';
import type { DeadLetter, FollowerHealth, Skipped, Stalled } from '../ports/follower.js';
import { applyQuarantining } from './apply.js';
import type { Target } from './apply.js';
import { Aborted, DEFAULT_BACKOFF, abortableSleep, delayOf } from './waiters.js';
import type { Backoff } from './waiters.js';

// Follows the log from a position: catch up, then live, one batch at a time through
// applyBatch. A failed batch is retried in place with backoff until it succeeds or the
// follower stops, and a subscription that fails is opened again from the stored position:
// no follower stops following after a failure, whatever its engine.
// A batch that failed SPLIT_AFTER times in a row is then applied in halves, down to single
// events: a failure caused by a batch's size (a request the engine refuses as too large, a call
// with more arguments than the runtime takes: both stalled the search projection for good on a
// 100,000-user broadcast) passes a smaller piece at a time, and when one event keeps failing
// the events of its batch before it are applied, and the follower waits at that event, with
// `health().stalled` saying where and since when (order is kept: nothing after it passes it).

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
  /** The failing batch's standing after each failed attempt, and null once it passed. */
  readonly onStalled?: (stalled: Stalled | null) => void;
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

/** Failed attempts of one batch before it is applied in halves. */
export const SPLIT_AFTER = 3;

export const createFollower = (o: FollowerOptions): Follower => {
  const retry = o.retry ?? DEFAULT_BACKOFF;
  let position = o.from;
  let abort: AbortController | undefined;
  let subscription: Subscription | undefined;
  let resubscribe: NodeJS.Timeout | undefined;
  let failedSubscriptions = 0;
  const health: { failures: number; lastError: string | null; stalled: Stalled | null } = {
    failures: 0,
    lastError: null,
    stalled: null,
  };
  const skipped = { unknown: 0, invalid: 0 };

  const failed = (e: unknown): void => {
    health.failures += 1;
    health.lastError = text(e);
    o.onFailure?.(e);
  };
  const stalledAt = (): void => {
    const s = health.stalled;
    health.stalled =
      s?.position === position
        ? { position, since: s.since, attempts: s.attempts + 1 }
        : { position, since: o.now(), attempts: 1 };
    o.onStalled?.(health.stalled);
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

  // `backoff`: the attempts already made on the batch these events were split from, so the pause
  // between attempts keeps growing across halves (an engine that is down is not asked faster).
  const handle = async (events: readonly RecordedEvent[], signal: AbortSignal, backoff = 0): Promise<void> => {
    for (let tries = 1; ; tries += 1) {
      signal.throwIfAborted();
      try {
        await once(events);
        failedSubscriptions = 0;
        if (health.stalled !== null) {
          health.stalled = null;
          o.onStalled?.(null);
        }
        return;
      } catch (e) {
        if (signal.aborted) throw new Aborted();
        failed(e);
        stalledAt();
        const attempt = backoff + tries - 1;
        const split = tries >= SPLIT_AFTER && events.length > 1;
        o.log?.error(
          { err: text(e), follower: o.name, position, attempt, events: events.length },
          split ? `${o.name}: batch failed; applying it in halves` : `${o.name}: batch failed; retrying`,
        );
        await abortableSleep(delayOf(retry, attempt), signal);
        if (split) {
          // What the failed attempts committed is skipped by the halves (applyBatch starts after
          // the stored position).
          const half = events.length >>> 1;
          await handle(events.slice(0, half), signal, attempt + 1);
          await handle(events.slice(half), signal, attempt + 1);
          return;
        }
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
    health: () => ({ ...health, stalled: health.stalled === null ? null : { ...health.stalled } }),
    skipped: () => ({ ...skipped }),
  };
};
