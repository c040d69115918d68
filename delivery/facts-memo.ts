import type { LiveRoot, LiveSplit, TriagePage } from '../domain/delivery/live-split.js';

// The last facts triage gathered for each page of a thread's audience (issue 15): a thread of
// 1,000 members that gets 200 messages had each member's cached profile and presence looked up
// and a facts record built 200 times, with nothing changed in between; at 1,000 connections that
// was the largest part of triage's time after the member and profile caches. A page's facts
// depend on the thread's members, their profiles (per thread), their presence and the sender
// (left out of the audience), nothing of the message itself: the page is reused while the stamp
// it was read under still holds. The stamp is the members cache's and profile cache's epochs
// (which move with every membership or profile change the triage fold meets, and only that fold
// writes the directory: delivery/profile-cache.ts says why that holds) and presence's version
// (ports/presence.ts: moves with every session opened or closed and every peer's change). It is
// taken before the page is read, so a change that lands while it is read leaves the page under
// an older stamp, never reused. The plan is still made per message (it depends on the message),
// for the page's recipients other than those its split (domain/delivery/live-split.ts) lists
// live-only; the first batch that writes that list becomes its root, named by the batches of later
// messages on the same page while the stamp holds (MessageTriaged `liveOf`).

/** Recipients' facts kept at most over all pages; past it the memo starts over (it is only a shortcut). */
export const FACTS_MEMO_LIMIT = 200_000;

export class FactsMemo {
  private readonly pages = new Map<string, { readonly stamp: string; readonly page: TriagePage }>();
  private size = 0;

  constructor(private readonly limit = FACTS_MEMO_LIMIT) {}

  /** The page kept under `key`, if it was read under `stamp`. */
  get(key: string, stamp: string): TriagePage | undefined {
    const kept = this.pages.get(key);
    return kept?.stamp === stamp ? kept.page : undefined;
  }

  remember(key: string, stamp: string, page: TriagePage): void {
    const old = this.pages.get(key);
    if (old !== undefined) this.size -= old.page.items.length;
    if (this.size + page.items.length > this.limit) {
      this.pages.clear();
      this.size = 0;
    }
    this.pages.set(key, { stamp, page });
    this.size += page.items.length;
  }

  /** A batch wrote `split`'s list itself: later batches of the page, under the same stamp, may name it. */
  rooted(key: string, stamp: string, split: LiveSplit, root: LiveRoot): void {
    const kept = this.pages.get(key);
    if (kept?.stamp !== stamp || kept.page.split !== split) return;
    this.pages.set(key, { stamp, page: { ...kept.page, split: { ...split, root } } });
  }
}
