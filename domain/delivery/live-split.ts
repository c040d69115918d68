import type { UserId } from '../../schema/ids.js';
import { asUserId } from '../../schema/ids.js';
import type { Urgency } from '../../schema/message.js';
import type { Page } from '../triage/batches.js';
import { onlyWebsocket } from '../triage/plan.js';
import type { RecipientFacts } from '../triage/types.js';

// A thread page's recipients split once, when triage reads its facts, into those who can only be
// reached over the websocket and are online (live-only whatever the message: nothing to plan one
// by one) and the rest (planned per message). Issue 15: at 1,000 connections a thread message
// spent most of its delivery work on recipients who got it live. With the split, triage plans only
// the rest, and when the page's facts have not changed since a message whose batch wrote this same
// list (`root`), the batch names that list (MessageTriaged `liveOf`) instead of writing it again,
// so no follower parses, checks or stores it per recipient again.

/** The MessageTriaged that wrote a split's `live` list itself, and the urgency it was planned at. */
export interface LiveRoot {
  readonly mid: string;
  readonly batch: number;
  readonly urgency: Urgency;
}

export interface LiveSplit {
  /**
   * The page's online recipients `onlyWebsocket` holds for, in page order. Never changed once made:
   * a batch written from the split carries this very array (`live`), by which the runner knows
   * the batch wrote the split's list (and so may be named as its root).
   */
  readonly live: UserId[];
  /** Every other recipient of the page, in page order. */
  readonly rest: readonly RecipientFacts[];
  /** Where `live` was written as a list, while the page's facts are the same (the runner sets it). */
  readonly root?: LiveRoot;
}

/** An audience page as triage plans it: with its split when the runner made one. */
export type TriagePage = Page<RecipientFacts> & { readonly split?: LiveSplit };

export const splitPage = (items: readonly RecipientFacts[]): LiveSplit => {
  const live: UserId[] = [];
  const rest: RecipientFacts[] = [];
  for (const r of items)
    if (r.online && onlyWebsocket(r)) live.push(asUserId(r.uid));
    else rest.push(r);
  return { live, rest };
};
