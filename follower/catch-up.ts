import type { EventStore } from '../ports/eventstore.js';
import type { DeadLetter } from '../ports/follower.js';
import { applyQuarantining } from './apply.js';
import type { Target } from './apply.js';
import type { FollowerLog } from './follower.js';
import { Aborted, abortableSleep, delayOf } from './waiters.js';
import type { Backoff } from './waiters.js';

// Reading the log page by page into a target until a page comes back empty: how a new
// generation is built beside the live one. A page that fails is tried again a few times;
// then the catch-up fails (and with it the rebuild), rather than retrying for ever.

/** A rebuild met an event it could not decode and was not told it may skip it. */
export class RebuildWouldSkip extends Error {
  constructor(readonly deadLetters: readonly DeadLetter[]) {
    const first = deadLetters[0];
    super(
      `the rebuild would skip ${deadLetters.length} undecodable event(s)` +
        (first === undefined ? '' : `, first at position ${first.position} (${first.type}: ${first.reason})`) +
        '; rebuild with allowSkips to skip them',
    );
    this.name = 'RebuildWouldSkip';
  }
}

export interface CatchUpOptions {
  readonly store: Pick<EventStore, 'readAll'>;
  readonly target: Target;
  readonly from: number;
  readonly pageSize: number;
  readonly signal: AbortSignal;
  readonly retry: Backoff;
  /** Tries per page before the catch-up fails. */
  readonly attempts: number;
  readonly allowSkips: boolean;
  readonly log?: FollowerLog;
  /** After each page: events read in it, and the position now stored. */
  readonly onPage?: (read: number, position: number) => void;
}

/** Resolves with the position reached once the log has no more events after it. */
export const catchUp = async (o: CatchUpOptions): Promise<number> => {
  let position = o.from;
  const hooks = {
    onDead: (dead: readonly DeadLetter[]) => {
      if (!o.allowSkips) throw new RebuildWouldSkip(dead);
    },
  };
  for (;;) {
    let read = 0;
    for (let attempt = 0; ; attempt += 1) {
      if (o.signal.aborted) throw new Aborted();
      try {
        const page = await o.store.readAll({ after: position, limit: o.pageSize });
        read = page.length;
        if (read > 0) position = (await applyQuarantining(o.target, page, position, hooks)).position;
        break;
      } catch (e) {
        if (e instanceof RebuildWouldSkip || attempt + 1 >= o.attempts) throw e;
        o.log?.error({ err: e instanceof Error ? e.message : String(e), position, attempt }, 'rebuild page failed');
        await abortableSleep(delayOf(o.retry, attempt), o.signal);
      }
    }
    if (read === 0) return position;
    o.onPage?.(read, position);
  }
};
