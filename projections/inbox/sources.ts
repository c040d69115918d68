// The three sources of an inbox, each an index-ordered scan that stops after `:limit` rows
// (newest first below the page bound). Every filter that can drop a row (status, deleted,
// unseen) sits inside its source, so the top rows of each source merged give exactly the
// top rows of the whole inbox. The bound `eff <= :eff AND (eff < :eff OR mid < :mid)` is
// (eff, mid) < (:eff, :mid) written so that its first term becomes an index range.

const STATE = `COALESCE(st.seen, 0) AS st_seen, COALESCE(st.read, 0) AS st_read`;
const KEEP = `m.status = 'published' AND COALESCE(st.deleted, 0) = 0`;
// Unseen: not covered by a last-read marker ('' when there is none) and no seen/read receipt.
// Separate terms, so the marker tests (index columns only) run before the row and state lookups.
const unseen = (mid: string): string =>
  `(:unseen = 0 OR ${mid} > :gmark) AND (:unseen = 0 OR ${mid} > :tmark) AND (:unseen = 0 OR COALESCE(st.seen, 0) = 0)`;

/** Messages sent to this user alone or in a multicast: one inbox_direct row each. */
export const DIRECT_SQL = `
  SELECT m.*, ${STATE} FROM inbox_direct d
  JOIN messages m ON m.mid = d.mid
  LEFT JOIN inbox_state st ON st.uid = d.uid AND st.mid = d.mid
  WHERE d.uid = :uid AND d.eff <= :eff AND (d.eff < :eff OR d.mid < :mid) AND ${KEEP} AND ${unseen('d.mid')}
  ORDER BY d.eff DESC, d.mid DESC LIMIT :limit`;

/** Broadcasts published after the user became known (`:known` is their first position). */
export const BROADCAST_SQL = `
  SELECT m.*, ${STATE} FROM messages m
  LEFT JOIN inbox_state st ON st.uid = :uid AND st.mid = m.mid
  WHERE m.kind = 'everyone' AND m.eff <= :eff AND (m.eff < :eff OR m.mid < :mid) AND m.position > :known
    AND ${KEEP} AND ${unseen('m.mid')}
  ORDER BY m.eff DESC, m.mid DESC LIMIT :limit`;

/** One subscription period: the thread's messages published while the user was subscribed. */
export const THREAD_SQL = `
  SELECT m.*, ${STATE} FROM messages m
  LEFT JOIN inbox_state st ON st.uid = :uid AND st.mid = m.mid
  WHERE m.tid = :tid AND m.eff <= :eff AND (m.eff < :eff OR m.mid < :mid)
    AND m.position > :from AND m.position < :to AND ${KEEP} AND ${unseen('m.mid')}
  ORDER BY m.eff DESC, m.mid DESC LIMIT :limit`;

export interface SourceParams {
  uid: string;
  eff: number;
  mid: string;
  limit: number;
  unseen: 0 | 1;
  gmark: string;
  tmark: string;
}
