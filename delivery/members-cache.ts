import type { DirectoryChange } from '../schema/delivery-state.js';

// The members of the threads triage last read, kept in memory between messages (issue 15): a
// thread of 1,000 members that gets 200 messages had its member list read from the directory
// 200 times, a row per member each time, with nothing changed in between. It holds under the
// same argument as the profile cache (delivery/profile-cache.ts): only the triage follower writes
// the directory and it folds in log order with the effects in between, so dropping a thread's
// list when the fold meets a member joining or leaving it keeps every page what the directory
// would answer at that point. A list read while a change was folded is not remembered.
// Pages are answered as the directory answers them (`uid > after ORDER BY uid LIMIT n`): user
// ids are ASCII (schema/ids.ts), so JavaScript's string order is SQLite's byte order.

/** Threads up to this many members are kept whole; larger ones are always read page by page. */
export const MEMBERS_CACHE_THREAD = 20_000;
/** Member entries kept at most over all threads; past it the cache starts over (it is only a shortcut). */
export const MEMBERS_CACHE_LIMIT = 200_000;

type Read = (tid: string, after: string, limit: number) => Promise<readonly string[]>;

export class MembersCache {
  private readonly byThread = new Map<string, readonly string[]>();
  private size = 0;
  /** Moves with every membership change folded: a read overtaken by one is not remembered. */
  private epoch = 0;

  constructor(
    private readonly perThread = MEMBERS_CACHE_THREAD,
    private readonly limit = MEMBERS_CACHE_LIMIT,
  ) {}

  /** Moves with every membership change folded (delivery/facts-memo.ts keys on it). */
  version(): number {
    return this.epoch;
  }

  /** Drops the lists a batch of directory changes may have made wrong. */
  forget(changes: readonly DirectoryChange[]): void {
    for (const c of changes)
      if (c.type === 'member-joined' || c.type === 'member-left') {
        this.epoch += 1;
        const gone = this.byThread.get(c.tid);
        if (gone === undefined) continue;
        this.size -= gone.length;
        this.byThread.delete(c.tid);
      }
  }

  /** Up to `limit` members of `tid` after `after` in uid order, as `read` would answer. */
  async members(tid: string, after: string, limit: number, read: Read): Promise<readonly string[]> {
    let all = this.byThread.get(tid);
    if (all === undefined) {
      const epoch = this.epoch;
      const whole = await read(tid, '', this.perThread + 1);
      // Too large to keep whole: the page is read as it always was.
      if (whole.length > this.perThread) return read(tid, after, limit);
      all = whole;
      if (epoch === this.epoch) this.remember(tid, whole);
    }
    const from = firstAfter(all, after);
    return all.slice(from, from + limit);
  }

  private remember(tid: string, uids: readonly string[]): void {
    if (this.size + uids.length > this.limit) {
      this.byThread.clear();
      this.size = 0;
    }
    this.byThread.set(tid, uids);
    this.size += uids.length;
  }
}

/** The index of the first uid greater than `after` in the sorted `uids`. */
const firstAfter = (uids: readonly string[], after: string): number => {
  if (after === '') return 0;
  let lo = 0;
  let hi = uids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((uids[mid] ?? '') <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};
