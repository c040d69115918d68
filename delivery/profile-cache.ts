import type { DirectoryChange, Profile } from '../schema/delivery-state.js';

// The recipients' profiles triage last read from the directory, kept in memory between
// messages: a thread of 10,000 members that gets 200 messages had each profile read 200
// times, three queries per page of recipients, for nothing changed in between (the cost
// issue 15 measured after every thread message). Only the triage follower writes the
// directory, and it folds strictly in log order with the effects in between (delivery/follow.ts:
// the batch up to a MessagePublished is committed before its triage runs, and nothing after it is
// folded until that triage is done), so dropping a user's entries when the fold meets a change
// of their profile keeps every read answered as the directory would answer it at that point.
// Dropping an entry is always safe (the next read goes to the directory); a process that
// starts, or a fold retried after a failure, starts from the directory again.

/** Directory changes that alter what `profiles` answers for a user (per-thread preferences included). */
const PROFILE_CHANGES: ReadonlySet<DirectoryChange['type']> = new Set([
  'contact',
  'channels',
  'time-preferences',
  'thread-channels',
  'device-enlisted',
  'device-revoked',
  'user-erased',
]);

/** Entries kept at most; past it the cache starts over (it is only a shortcut). */
export const PROFILE_CACHE_LIMIT = 200_000;

const NO_THREAD = '\u0000';

export class ProfileCache {
  private readonly byUser = new Map<string, Map<string, Profile>>();
  private size = 0;
  /** Moves with every profile change folded: a read overtaken by one is not remembered. */
  private epoch = 0;

  constructor(private readonly limit = PROFILE_CACHE_LIMIT) {}

  /** Moves with every profile change folded (delivery/facts-memo.ts keys on it). */
  version(): number {
    return this.epoch;
  }

  /** Drops the entries a batch of directory changes may have made wrong. */
  forget(changes: readonly DirectoryChange[]): void {
    for (const c of changes) if (PROFILE_CHANGES.has(c.type) && 'uid' in c) this.forgetUser(c.uid);
  }

  /**
   * Drops a user's entries: a change named another user (a device enlisted by one user leaves
   * the profiles of those who held it before, domain/delivery/moves.ts).
   */
  forgetUser(uid: string): void {
    this.epoch += 1;
    const gone = this.byUser.get(uid);
    if (gone === undefined) return;
    this.size -= gone.size;
    this.byUser.delete(uid);
  }

  /**
   * The profiles of `uids` for thread `tid`: cached ones from memory, the others in one read of
   * `read`, remembered. Users the directory does not know are absent, as `read` answers them.
   */
  async profiles(
    uids: readonly string[],
    tid: string | undefined,
    read: (uids: readonly string[], tid: string | undefined) => Promise<ReadonlyMap<string, Profile>>,
  ): Promise<ReadonlyMap<string, Profile>> {
    const key = tid ?? NO_THREAD;
    const found = new Map<string, Profile>();
    const missing: string[] = [];
    for (const uid of uids) {
      const p = this.byUser.get(uid)?.get(key);
      if (p === undefined) missing.push(uid);
      else found.set(uid, p);
    }
    if (missing.length === 0) return found;
    const epoch = this.epoch;
    const fresh = await read(missing, tid);
    const remember = epoch === this.epoch;
    if (remember && this.size + missing.length > this.limit) {
      this.byUser.clear();
      this.size = 0;
    }
    for (const uid of missing) {
      const p = fresh.get(uid);
      if (p === undefined) continue;
      found.set(uid, p);
      if (!remember) continue;
      const mine = this.byUser.get(uid) ?? new Map<string, Profile>();
      if (mine.size === 0) this.byUser.set(uid, mine);
      if (!mine.has(key)) this.size += 1;
      mine.set(key, p);
    }
    return found;
  }
}
