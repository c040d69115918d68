import { DELIVERY_STATUSES, deliveryId, noTimes, readMs } from '../../schema/search-documents.js';
import type { DeliveryDoc, DeliveryStatus, MessageDoc, StatusTimes } from '../../schema/search-documents.js';
import type { Receipt } from './plan.js';

// A delivery document is a merge of its facts: the first time of each status (a minimum),
// the highest-ranked status reached, the latency of the first fact. Minimum and maximum make
// the merge order-free and idempotent, so a replayed receipt leaves the document unchanged;
// only `reason` is last-writer-wins, and the log replays in one order.

const earliest = (a: string | null, b: string): string => (a === null || b < a ? b : a);

const highest = (times: StatusTimes): DeliveryStatus => {
  let best: DeliveryStatus = 'delivered';
  let found = false;
  for (const s of DELIVERY_STATUSES)
    if (times[s] !== null) {
      best = s;
      found = true;
    }
  if (!found) throw new Error('a delivery document needs at least one status');
  return best;
};

const first = (times: StatusTimes): string =>
  DELIVERY_STATUSES.reduce<string | null>((min, s) => {
    const t = times[s];
    return t === null ? min : earliest(min, t);
  }, null) ?? '';

/** `message` is the receipt's message (its due time is scheduled ?? at), undefined when unknown. */
export const mergeReceipt = (
  doc: DeliveryDoc | undefined,
  r: Receipt,
  message: MessageDoc | undefined,
): DeliveryDoc => {
  const due = message === undefined ? null : Date.parse(message.scheduled ?? message.at);
  const times: StatusTimes = { ...(doc?.times ?? noTimes()), [r.status]: earliest(doc?.times[r.status] ?? null, r.at) };
  const at = first(times);
  // A click is a read too (a push opened from the notification may never send `read`).
  const readAt =
    times.read === null ? times.clicked : times.clicked === null ? times.read : earliest(times.read, times.clicked);
  const attempts = [doc?.attempts, r.attempts].filter((n): n is number => typeof n === 'number');
  return {
    id: deliveryId(r.mid, r.uid, r.channel),
    mid: r.mid,
    uid: r.uid,
    channel: r.channel,
    status: highest(times),
    at,
    latency_ms: due === null ? null : Date.parse(at) - due,
    times,
    reason: r.reason ?? doc?.reason ?? null,
    attempts: attempts.length === 0 ? null : Math.max(...attempts),
    tid: message?.tid ?? doc?.tid ?? null,
    msg_at: message?.at ?? doc?.msg_at ?? null,
    read_ms: due === null || readAt === null ? null : readMs(Date.parse(readAt) - due),
  };
};
