import type { InboxItem, MessageView, ReadModels } from '../../ports/read-models.js';
import type { ListedMessage } from '../../schema/frames.js';
import { personal } from '../../delivery/personal.js';

// Reads for a session: the unseen snapshot on connect and the `?since=` replay. Both come from
// the inbox read model, after it has caught up with the log head as of the moment the session
// started buffering live frames (see lifecycle.ts), so together with that buffer they
// cover every message exactly once.
/** A listed message as `uid` sees it (their A/B variant's text: delivery/personal.ts). */
export const listedFor =
  (uid: string) =>
  (m: MessageView | InboxItem): ListedMessage =>
    listed(personal(m, uid));

export const listed = (m: MessageView | InboxItem): ListedMessage => ({
  mid: m.mid as ListedMessage['mid'],
  ...(m.tid !== undefined ? { tid: m.tid as NonNullable<ListedMessage['tid']> } : {}),
  from: m.from,
  msg: m.msg,
  opts: m.opts,
  urgency: m.urgency,
  at: m.at,
  ...(m.scheduled !== undefined ? { scheduled: m.scheduled } : {}),
  ...('seen' in m ? { seen: m.seen, read: m.read } : {}),
});

/** Milliseconds of a UUIDv7 (its first 48 bits), or undefined for another kind of id. */
export const uuidv7Ms = (mid: string): number | undefined => {
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.exec(mid);
  return m?.[1] !== undefined && m[2] !== undefined ? parseInt(m[1] + m[2], 16) : undefined;
};

/** The smallest UUIDv7 of a millisecond: every message id of that millisecond sorts after it. */
export const uuidv7Floor = (ms: number): string => {
  const h = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-7000-8000-000000000000`;
};

const effOf = (m: { at: string; scheduled?: string }): number => Date.parse(m.scheduled ?? m.at);
const after = (a: { eff: number; mid: string }, b: { eff: number; mid: string }): boolean =>
  a.eff > b.eff || (a.eff === b.eff && a.mid > b.mid);

export interface Replay {
  readonly messages: ListedMessage[];
  readonly truncated: boolean;
}

/**
 * Every message of the user's inbox after `since` (by effective time, then id), oldest first.
 * At most `max`: when more were missed the newest `max` are replayed and `truncated` is set
 * (the client pages further back with `history`).
 */
export const replaySince = async (
  reads: ReadModels,
  uid: string,
  since: string,
  now: Date,
  max: number,
): Promise<Replay> => {
  const known = await reads.message(since);
  const eff = known !== undefined ? effOf(known) : (uuidv7Ms(since) ?? 0);
  const bound = { eff, mid: since };
  const newer: InboxItem[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await reads.inbox(uid, { limit: 200, ...(before !== undefined ? { before } : {}) }, now);
    for (const m of page.messages) {
      if (!after({ eff: effOf(m), mid: m.mid }, bound))
        return { messages: newer.reverse().map(listedFor(uid)), truncated: false };
      if (newer.length === max) return { messages: newer.reverse().map(listedFor(uid)), truncated: true };
      newer.push(m);
    }
    if (page.next === null) return { messages: newer.reverse().map(listedFor(uid)), truncated: false };
    before = page.next;
  }
};
