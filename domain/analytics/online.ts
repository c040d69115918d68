import { INTERVALS } from '../../schema/search-query.js';
import type { CheckInDoc, OnlineQuery, OnlineTotals } from '../../schema/online-time.js';

// Check-ins -> online-time documents, and the store's sums -> the report. Pure, so both
// engines' answers become the same report by the same code.

const MINUTE = INTERVALS.minute;

interface Entry {
  readonly uid: string;
  readonly onlineMs: number;
}

/**
 * One user's entry of a check-in over [from, to) as pieces per UTC minute, the session time
 * shared in proportion to each minute's overlap; the pieces add up to `onlineMs` exactly.
 * An entry without session time gives none.
 */
export const checkInPieces = (node: string, from: string, to: string, e: Entry): CheckInDoc[] => {
  const [start, end] = [Date.parse(from), Date.parse(to)];
  if (e.onlineMs <= 0) return [];
  const piece = (minute: number, onlineMs: number): CheckInDoc => {
    const at = new Date(minute).toISOString();
    return { id: `${node}/${from}/${e.uid}/${at}`, uid: e.uid, node, at, onlineMs };
  };
  const first = Math.floor(start / MINUTE) * MINUTE;
  // An empty or reversed interval (a clock step back) puts everything in its start minute.
  if (!(end > start)) return [piece(first, e.onlineMs)];
  const out: CheckInDoc[] = [];
  let given = 0;
  for (let m = first; m < end; m += MINUTE) {
    const overlap = Math.min(end, m + MINUTE) - Math.max(start, m);
    const last = m + MINUTE >= end;
    const ms = last ? e.onlineMs - given : Math.floor((e.onlineMs * overlap) / (end - start));
    given += ms;
    if (ms > 0) out.push(piece(m, ms));
  }
  return out;
};

export interface OnlineReport {
  readonly interval: OnlineQuery['interval'];
  readonly since: string;
  readonly until: string;
  readonly uid: string | null;
  /** Session seconds in the range (of `uid`, or of everyone). */
  readonly onlineSeconds: number;
  /** Distinct users with session time in the range. */
  readonly users: number;
  /** Every interval of the range, zeros included. */
  readonly buckets: readonly {
    readonly key: string;
    readonly onlineSeconds: number;
    readonly users: number;
    /** Average sessions open during the interval: session time / interval length. */
    readonly concurrent: number;
  }[];
  readonly top: readonly { readonly uid: string; readonly onlineSeconds: number }[];
}

const seconds = (ms: number): number => Math.round(ms / 10) / 100;

export const onlineReport = (q: OnlineQuery, t: OnlineTotals): OnlineReport => {
  const step = INTERVALS[q.interval];
  const byKey = new Map(t.buckets.map((b) => [Date.parse(b.key), b]));
  const buckets: OnlineReport['buckets'][number][] = [];
  for (let k = Date.parse(q.since); k < Date.parse(q.until); k += step) {
    const b = byKey.get(k);
    const ms = b?.onlineMs ?? 0;
    buckets.push({
      key: new Date(k).toISOString(),
      onlineSeconds: seconds(ms),
      users: b?.users ?? 0,
      concurrent: Math.round((ms / step) * 100) / 100,
    });
  }
  return {
    interval: q.interval,
    since: q.since,
    until: q.until,
    uid: q.uid ?? null,
    onlineSeconds: seconds(t.onlineMs),
    users: t.users,
    buckets,
    top: t.top.map((u) => ({ uid: u.uid, onlineSeconds: seconds(u.onlineMs) })),
  };
};
