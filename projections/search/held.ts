import type { HeldReceipt, SearchWriter } from '../../ports/search.js';

// Receipts from users a message was not addressed to. Any user may acknowledge any mid (the inbox
// decider records it in their own inbox: whether the mid reached them is the read side's concern),
// so the funnel, the delivery counts and the deliveries count a receipt only from a user the
// message's triage addressed. A live receipt can come before the triage that addresses its user
// (the websocket push does not wait for it), so such a receipt is held (`holdReceipt`, counted
// nowhere) and merged as a receipt when a triage of the message addresses its user, whatever the
// batches: the planner asks here, for each triaged message, which receipts wait for it.
// What the store holds of a message is read on its first triage and kept, bounded; messages this
// handler created have none but those it held itself; a failed write forgets it all.

/** Messages (and held receipts) kept in memory before the least recently used are dropped. */
export const HELD_CACHE = 100_000;

/** What the planner asks while it walks a batch in log order. */
export interface HeldView {
  /** Receipts held for `mid`, by uid (prepared for each message triaged in the batch). */
  waiting(mid: string): ReadonlyMap<string, readonly HeldReceipt[]> | undefined;
  /** A receipt the batch holds (its message's waiting receipts learn it, when kept). */
  hold(r: HeldReceipt): void;
  /** `uid`'s receipts of `mid` were merged: a later triage need not merge them again. */
  release(mid: string, uid: string): void;
}

export interface HeldState {
  /** Reads what the batch's triaged messages hold in the store, when not kept. */
  prepare(index: Pick<SearchWriter, 'heldReceipts'>, triaged: ReadonlySet<string>): Promise<HeldView>;
  /** Messages whose MessagePublished the handler is planning: nothing of theirs is held in the store. */
  created(mids: readonly string[]): void;
  /** After a failed write: the store may hold less than what was planned. */
  forget(): void;
}

export const heldState = (limit = HELD_CACHE): HeldState => {
  const entries = new Map<string, Map<string, HeldReceipt[]>>();
  let held = 0;
  const sizeOf = (e: ReadonlyMap<string, readonly HeldReceipt[]>): number => {
    let n = 1;
    for (const rs of e.values()) n += rs.length;
    return n;
  };
  const evict = (keep: ReadonlySet<string>): void => {
    for (const [mid, e] of entries) {
      if (held <= limit) return;
      if (keep.has(mid)) continue;
      entries.delete(mid);
      held -= sizeOf(e);
    }
  };
  const view: HeldView = {
    waiting: (mid) => entries.get(mid),
    hold: (r) => {
      const e = entries.get(r.mid);
      if (e === undefined) return;
      const rs = e.get(r.uid) ?? [];
      rs.push(r);
      e.set(r.uid, rs);
      held += 1;
    },
    release: (mid, uid) => {
      const e = entries.get(mid);
      const rs = e?.get(uid);
      if (e === undefined || rs === undefined) return;
      e.delete(uid);
      held -= rs.length;
    },
  };
  return {
    created: (mids) => {
      for (const mid of mids) {
        if (entries.has(mid)) continue;
        entries.set(mid, new Map());
        held += 1;
      }
    },
    forget: () => {
      entries.clear();
      held = 0;
    },
    prepare: async (index, triaged) => {
      evict(triaged);
      const missing = [...triaged].filter((m) => !entries.has(m));
      const stored =
        missing.length === 0 ? new Map<string, readonly HeldReceipt[]>() : await index.heldReceipts(missing);
      for (const mid of missing) {
        const e = new Map<string, HeldReceipt[]>();
        for (const r of stored.get(mid) ?? []) e.set(r.uid, [...(e.get(r.uid) ?? []), r]);
        entries.set(mid, e);
        held += sizeOf(e);
      }
      // Most recently used last, so eviction drops the oldest.
      for (const mid of triaged) {
        const e = entries.get(mid);
        if (e === undefined) continue;
        entries.delete(mid);
        entries.set(mid, e);
      }
      return view;
    },
  };
};
