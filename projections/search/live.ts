import { assignVariant } from '../../domain/variants.js';
import type { MessageDoc, SetName } from '../../schema/search-documents.js';
import { variantSet } from '../../schema/variant-funnel.js';
import type { SearchWriter } from '../../ports/search.js';
import type { RootList } from './live-refs.js';

// Recipients who got a message live (MessageTriaged `live`) stand in five funnel sets (addressed,
// triaged, attempted and sent on the websocket, sent) and, for a message with A/B variants, in
// their variant's addressed and sent sets. Instead of a row per uid and set, each list of uids
// new to the message is stored once (`putLive`) with one counting member per set (`addToSet`
// with `n`, uid `#live/<first uid>`): a live recipient costs a Set entry here and a line in a list.
// A list a batch names by reference (`liveOf`, live-refs.ts) for a message with no list yet costs
// less still: the message holds the root's shared list here and a reference to it in the store
// (`putLiveRef`), its counts taken from the list's length less the few uids with a member.
//
// The counts stay sizes of distinct recipients because every uid is counted once per set:
// - a uid already listed live for the message is not listed (nor counted) again;
// - a one-recipient mark of one of those sets (a receipt, a full plan, a dispatch success) for a
//   uid listed live is left out: the list's count has it;
// - a uid that joins the list while it already has a one-recipient member of a set (a receipt
//   that came before triage) is not counted in that set's count.
// What this needs per message (its live uids, and which uids have a member of those sets) is read
// from the store on first use and kept here, bounded; after a failed write it is all forgotten and
// read again, so it never runs ahead of the store.

/** The sets a live recipient stands in (beside its variant's addressed and sent). */
export const LIVE_SETS: readonly SetName[] = [
  'f:addressed',
  'f:triaged',
  'f:attempted:websocket',
  'f:sent:websocket',
  'f:sent',
];
const IMPLIED: ReadonlySet<string> = new Set(LIVE_SETS);
const VARIANT_OF = { 'f:addressed': 'addressed', 'f:sent': 'sent' } as const;

/** The counting member's uid for a list whose first uid is `first`: `#` is outside the id pattern. */
export const countKey = (first: string): string => `#live/${first}`;

export interface LiveList {
  readonly mid: string;
  readonly key: string;
  /** The uids the list adds to the message's live set (a root's whole list when `root` is set). */
  readonly uids: readonly string[];
  readonly counts: readonly (readonly [SetName, number])[];
  /**
   * Stored as a reference to this root list (live-refs.ts), not written out; `store`: the root
   * itself goes to the store with it (the first reference this handler writes since it started).
   */
  readonly root?: { readonly id: string; readonly store: boolean };
}

interface Entry {
  readonly live: Set<string>;
  /** Root lists the message's live set holds whole, by reference (shared, never copied here). */
  readonly refs: RootList[];
  /** uid -> which of LIVE_SETS it has a one-recipient member of; read when the message first gets a list. */
  members?: Map<string, Set<string>> | undefined;
}

/** What the planner asks while it walks a batch in log order. */
export interface LiveView {
  isLive(mid: string, uid: string): boolean;
  /** A one-recipient mark of `set` for `uid` goes to the store. */
  noteMember(mid: string, set: SetName, uid: string): void;
  /** Records the uids of a `live` list; undefined when every one was listed before. */
  addLive(mid: string, uids: readonly string[]): LiveList | undefined;
  /**
   * Records a list named by reference: stored as a reference when none of its uids is listed for
   * the message yet (the common case: one list per thread page), else written out as addLive would.
   */
  addLiveRef(mid: string, root: RootList): LiveList | undefined;
}

export interface LiveState {
  /** Reads what `mids` need (`listing`: those that get a live list in the batch), then answers for them. */
  prepare(
    index: Pick<SearchWriter, 'liveUids' | 'setMembers'>,
    mids: ReadonlySet<string>,
    listing: ReadonlySet<string>,
    /** A message's A/B variants (from its document), undefined for none or an unknown message. */
    variantsOf: (mid: string) => Variants,
    /** Whether `variantsOf` knows the message (its document was at hand): else its answer says nothing. */
    knows: (mid: string) => boolean,
  ): Promise<LiveView>;
  /**
   * Messages whose MessagePublished the handler is planning: no list of theirs can be stored before
   * it (a triage follows its message in the log), so prepare need not read theirs.
   */
  created(mids: readonly string[]): void;
  /** After a failed write: the store may hold less than what was planned. */
  forget(): void;
}

/** How many live uids (and messages) are kept in memory before the least recent messages are dropped. */
export const LIVE_CACHE_UIDS = 300_000;

/** Root lists this handler knows its store holds, before it stops remembering (and stores them again). */
const STORED_ROOTS = 10_000;

type Variants = MessageDoc['variants'];

/**
 * What each set counts of `uids` (distinct, none listed before): every uid in every set it has no
 * one-recipient member of, and in its variant's addressed and sent sets.
 */
const tally = (
  mid: string,
  uids: readonly string[],
  members: ReadonlyMap<string, ReadonlySet<string>>,
  variants: Variants,
  inList: (uid: string) => boolean,
): Map<SetName, number> => {
  const counts = new Map<SetName, number>();
  const count = (set: SetName, n = 1): void => {
    counts.set(set, (counts.get(set) ?? 0) + n);
  };
  if (variants === undefined || variants.length === 0) {
    // Most listed uids have no one-recipient member yet and count in every set: each set counts
    // the list less its members found in it (the few, not the many, are walked).
    const marked = new Map<string, number>();
    for (const [uid, sets] of members) {
      if (!inList(uid)) continue;
      for (const set of sets) marked.set(set, (marked.get(set) ?? 0) + 1);
    }
    for (const set of LIVE_SETS) {
      const n = uids.length - (marked.get(set) ?? 0);
      if (n > 0) count(set, n);
    }
    return counts;
  }
  for (const uid of uids) {
    const has = members.get(uid);
    for (const set of LIVE_SETS) if (has?.has(set) !== true) count(set);
    const name = assignVariant(variants, mid, uid).name;
    for (const stage of ['addressed', 'sent'] as const) {
      const set = variantSet(name, stage);
      if (has?.has(set) !== true) count(set);
    }
  }
  return counts;
};

export const liveState = (limit = LIVE_CACHE_UIDS): LiveState => {
  const entries = new Map<string, Entry>();
  const storedRoots = new Set<string>();
  let held = 0;
  const sizeOf = (e: Entry): number => e.live.size + e.refs.reduce((n, r) => n + r.uids.length, 0) + 1;
  const evict = (keep: ReadonlySet<string>): void => {
    for (const [mid, e] of entries) {
      if (held <= limit) return;
      if (keep.has(mid)) continue;
      entries.delete(mid);
      held -= sizeOf(e);
    }
  };
  const memberSets = (variants: Variants): SetName[] => [
    ...LIVE_SETS,
    ...(variants ?? []).flatMap((v) => [variantSet(v.name, 'addressed'), variantSet(v.name, 'sent')]),
  ];
  return {
    created: (mids) => {
      for (const mid of mids) {
        if (entries.has(mid)) continue;
        entries.set(mid, { live: new Set(), refs: [] });
        held += 1;
      }
    },
    forget: () => {
      entries.clear();
      storedRoots.clear();
      held = 0;
    },
    prepare: async (index, mids, listing, variantsOf, knows) => {
      evict(mids);
      const missing = [...mids].filter((m) => !entries.has(m));
      const stored = missing.length === 0 ? new Map<string, readonly string[]>() : await index.liveUids(missing);
      for (const mid of missing) {
        const live = new Set(stored.get(mid));
        entries.set(mid, { live, refs: [] });
        // A message without a list still takes an entry: it counts one.
        held += live.size + 1;
      }
      for (const mid of listing) {
        const e = entries.get(mid);
        if (e === undefined || e.members !== undefined) continue;
        const members = new Map<string, Set<string>>();
        for (const m of await index.setMembers(mid, memberSets(variantsOf(mid)))) {
          const sets = members.get(m.uid) ?? new Set<string>();
          sets.add(m.set);
          members.set(m.uid, sets);
        }
        e.members = members;
      }
      // Most recently used last, so eviction drops the oldest.
      for (const mid of mids) {
        const e = entries.get(mid);
        if (e === undefined) continue;
        entries.delete(mid);
        entries.set(mid, e);
      }
      const entry = (mid: string): Entry => {
        const e = entries.get(mid);
        if (e === undefined) throw new Error(`search projection: live state of ${mid} was not prepared`);
        return e;
      };
      const isLive = (e: Entry, uid: string): boolean => e.live.has(uid) || e.refs.some((r) => r.has(uid));
      // Whether a uid of `root` is listed for the message already: against its written uids, and
      // against each root it holds by reference as a whole list (remembered per pair of roots).
      const overlaps = (e: Entry, root: RootList): boolean => {
        if (e.refs.some((r) => !r.disjoint(root))) return true;
        if (e.live.size === 0) return false;
        if (e.live.size < root.uids.length) {
          for (const uid of e.live) if (root.has(uid)) return true;
          return false;
        }
        return root.uids.some((uid) => e.live.has(uid));
      };
      const addLive = (mid: string, uids: readonly string[]): LiveList | undefined => {
        const e = entry(mid);
        const fresh: string[] = [];
        const mine = new Set<string>();
        for (const uid of uids) {
          if (mine.has(uid) || isLive(e, uid)) continue;
          mine.add(uid);
          fresh.push(uid);
        }
        const first = fresh[0];
        if (first === undefined) return undefined;
        for (const uid of fresh) e.live.add(uid);
        held += fresh.length;
        const counts = tally(mid, fresh, e.members ?? new Map(), variantsOf(mid), (uid) => mine.has(uid));
        return { mid, key: countKey(first), uids: fresh, counts: [...counts] };
      };
      return {
        isLive: (mid, uid) => isLive(entry(mid), uid),
        noteMember: (mid, set, uid) => {
          const e = entry(mid);
          if (e.members === undefined) return;
          // Without the message's variants the member's variant set cannot be noted, while the
          // batch stores it (batch.ts reads them): the members are read again for its next list,
          // or that list counted the member in its variant's set a second time.
          if (!knows(mid)) {
            e.members = undefined;
            return;
          }
          const variants = variantsOf(mid);
          const names = [set as string];
          const stage = VARIANT_OF[set as keyof typeof VARIANT_OF] as 'addressed' | 'sent' | undefined;
          if (stage !== undefined && variants !== undefined && variants.length > 0)
            names.push(variantSet(assignVariant(variants, mid, uid).name, stage));
          const sets = e.members.get(uid) ?? new Set<string>();
          for (const n of names) sets.add(n);
          e.members.set(uid, sets);
        },
        addLive,
        addLiveRef: (mid, root) => {
          const e = entry(mid);
          const first = root.uids[0];
          // A root sharing a uid with the message's lists (this page's read back from the store, or
          // an overlap with another page's) is written out as its new uids, as a written list is;
          // a thread's pages are disjoint, so each page's root is stored by reference.
          if (first === undefined || root.distinct() !== root.uids.length || overlaps(e, root))
            return addLive(mid, root.uids);
          e.refs.push(root);
          held += root.uids.length;
          const counts = tally(mid, root.uids, e.members ?? new Map(), variantsOf(mid), (uid) => root.has(uid));
          const store = !storedRoots.has(root.id);
          if (store) {
            if (storedRoots.size >= STORED_ROOTS) storedRoots.clear();
            storedRoots.add(root.id);
          }
          return { mid, key: countKey(first), uids: root.uids, counts: [...counts], root: { id: root.id, store } };
        },
      };
    },
  };
};
/** Whether a mark of `set` is one a live recipient already stands in. */
export const impliedByLive = (set: SetName): boolean => IMPLIED.has(set);
