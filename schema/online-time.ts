import type { Interval } from './search-query.js';

// Online time (issue 12): the nodes' websocket check-ins (UsersCheckedIn) as a search read
// model. A check-in entry covers one user's sessions on one node during [from, to); the
// projection splits its session time over the UTC minutes the interval spans, in proportion
// to the overlap (the tally does not say when in the interval the sessions were open), so a
// report per minute, hour or day sums whole documents. One document per (node, interval
// start, uid, minute): a replayed check-in writes the same documents.

export interface CheckInDoc {
  /** `${node}/${from}/${uid}/${minute}`: the natural key, so a replay overwrites itself. */
  readonly id: string;
  readonly uid: string;
  readonly node: string;
  /** The UTC minute (ISO-8601) the piece of session time falls in. */
  readonly at: string;
  /** Milliseconds of session time in that minute (sessions x time: two tabs count twice). */
  readonly onlineMs: number;
}

export interface OnlineQuery {
  readonly interval: Interval;
  /** Start of the first bucket (rounded down to the interval, UTC). */
  readonly since: string;
  /** End of the range, exclusive. */
  readonly until: string;
  /** Only this user; absent: everyone. */
  readonly uid?: string;
  /** How many top users to list. */
  readonly top: number;
}

/** One interval's online time as the store sums it. */
export interface OnlineBucket {
  readonly key: string;
  readonly onlineMs: number;
  /** Distinct users with session time in the interval. */
  readonly users: number;
}

/** What the search port answers for an OnlineQuery; empty buckets are left out. */
export interface OnlineTotals {
  readonly onlineMs: number;
  readonly users: number;
  readonly buckets: readonly OnlineBucket[];
  /** Most session time first, then uid. */
  readonly top: readonly { readonly uid: string; readonly onlineMs: number }[];
}
