import { triageStream } from '../../domain/triage/keys.js';
import type { EventStore } from '../../ports/eventstore.js';
import type { UserId } from '../../schema/ids.js';
import { liveListOf } from '../../schema/triage-events.js';
import type { PlannedEvent } from './plan.js';

// A MessageTriaged may name its live list instead of carrying it (`liveOf`, issue 15): the same
// list as an earlier batch's (its root). The search projection hands the planner that root, one
// object shared by every batch naming it, and stores the list once (`putLiveRoot`) with one small
// reference per message (`putLiveRef`, live.ts), so every count, list and erasure is what it was
// with the list written out, whether the reference is met live, in a rebuild, or after a restart
// from a checkpoint past its root. The roots met in the log are kept (bounded); a root not kept is
// read from the log (its triage stream), which always has it before the reference (triage names
// only a batch it appended).

/** How many uids of root lists are kept before the oldest lists are dropped. */
export const LIVE_ROOTS_UIDS = 200_000;

export type RootReader = Pick<EventStore, 'read'>;

/** A list written by a batch (`<mid>/<batch>`), as the batches naming it read it. */
export interface RootList {
  readonly id: string;
  readonly uids: readonly UserId[];
  /** Whether `uid` is in the list (a Set made on first ask, once per root). */
  has(uid: string): boolean;
  /** The number of distinct uids (a list triage wrote has no repeats; one that has is written out). */
  distinct(): number;
  /**
   * Whether no uid of `other` is in this list. Remembered per pair (lists never change): a
   * thread's two pages name the same two roots message after message, and asking uid by uid
   * each time was most of the search worker's planning for them.
   */
  disjoint(other: RootList): boolean;
}

/** Pairs remembered per root at most (the roots a message's other pages name: a few). */
const DISJOINT_PAIRS = 64;

export const rootList = (id: string, uids: readonly UserId[]): RootList => {
  let set: ReadonlySet<string> | undefined;
  const of = (): ReadonlySet<string> => {
    set ??= new Set(uids);
    return set;
  };
  const pairs = new Map<string, boolean>();
  const self: RootList = {
    id,
    uids,
    has: (uid) => of().has(uid),
    distinct: () => of().size,
    disjoint: (other) => {
      if (other.id === id) return uids.length === 0;
      const known = pairs.get(other.id);
      if (known !== undefined) return known;
      const [small, large] = uids.length <= other.uids.length ? [self, other] : [other, self];
      let none = true;
      for (const uid of small.uids)
        if (large.has(uid)) {
          none = false;
          break;
        }
      if (pairs.size >= DISJOINT_PAIRS) pairs.clear();
      pairs.set(other.id, none);
      return none;
    },
  };
  return self;
};

export interface LiveRoots {
  /** `events` with every `liveOf` batch given the root it names (`root`); remembers the lists met. */
  resolve(events: readonly PlannedEvent[]): Promise<readonly PlannedEvent[]>;
}

export const liveRoots = (log: RootReader | undefined, limit = LIVE_ROOTS_UIDS): LiveRoots => {
  const kept = new Map<string, RootList>();
  let held = 0;
  const keep = (key: string, uids: readonly UserId[]): RootList => {
    const known = kept.get(key);
    if (known !== undefined) return known;
    const root = rootList(key, uids);
    kept.set(key, root);
    held += uids.length;
    for (const [k, v] of kept) {
      if (held <= limit || k === key) break;
      kept.delete(k);
      held -= v.uids.length;
    }
    return root;
  };
  const rootOf = async (mid: string, batch: number): Promise<RootList> => {
    const key = `${mid}/${String(batch)}`;
    const known = kept.get(key);
    if (known !== undefined) return known;
    const read = log === undefined ? undefined : liveListOf(await log.read(triageStream(mid)), batch);
    // A log without the root is not one triage wrote: stop here rather than count it wrong.
    if (read === undefined)
      throw new Error(`search projection: the live list of ${key} named by a batch is not in the log`);
    return keep(key, read);
  };
  return {
    resolve: async (events) => {
      if (!events.some((e) => e.event.type === 'MessageTriaged')) return events;
      const out: PlannedEvent[] = [];
      for (const p of events) {
        const e = p.event;
        if (e.type === 'MessageTriaged' && e.data.live !== undefined)
          keep(`${e.data.mid}/${String(e.data.batch)}`, e.data.live);
        if (e.type !== 'MessageTriaged' || e.data.liveOf === undefined) {
          out.push(p);
          continue;
        }
        out.push({ ...p, root: await rootOf(e.data.liveOf.mid, e.data.liveOf.batch) });
      }
      return out;
    },
  };
};
