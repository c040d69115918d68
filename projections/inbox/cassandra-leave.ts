import type { CassandraDb } from '../cassandra-db.js';
import { firstWins, long, num, str } from '../cassandra-db.js';
import type { BatchMemo, Mutation } from '../cassandra-projection.js';
import { messageKeys } from '../messages/cassandra-row.js';
import type { Applied } from '../projection.js';

// Erasure (docs/gdpr.md) of a user's membership in multicasts: their inbox_direct rows of
// `users` lists and their inbox_audience rows of chunked audiences (AudienceChunk). A multicast
// resolved from a segment says the user matched its query, whose attributes were theirs; the
// text is the sender's and stays for the others. Direct messages keep their (blanked) place
// (cassandra-erasure.ts). Each row is deleted at the highest timestamp, above the firstWins
// writes of any replay, so a rebuild or a redelivered part cannot list the user again; a
// multicast after the erasure has another mid, hence other rows, and reaches them as usual.
const ABOVE_EVERYTHING = firstWins(0);

/** Is `uid` in `uids` (sorted in uid order, as parts are)? */
const inSorted = (uids: readonly string[], uid: string): boolean => {
  let [lo, hi] = [0, uids.length - 1];
  while (lo <= hi) {
    const m = (lo + hi) >> 1;
    const x = uids[m] ?? '';
    if (x === uid) return true;
    if (x < uid) lo = m + 1;
    else hi = m - 1;
  }
  return false;
};

export const cassandraLeaveMulticasts = (db: CassandraDb) => {
  const directRows = `SELECT eff, mid, position FROM ${db.t('inbox_direct')} WHERE uid = ?`;
  const audienceRows = `SELECT mid FROM ${db.t('inbox_audience')} WHERE uid = ?`;
  const dropDirect = `DELETE FROM ${db.t('inbox_direct')} USING TIMESTAMP ? WHERE uid = ? AND eff = ? AND mid = ?`;
  const dropListed = `DELETE FROM ${db.t('inbox_audience')} USING TIMESTAMP ? WHERE uid = ? AND mid = ?`;
  const direct = (uid: string, eff: number, mid: string): Mutation => ({
    cql: dropDirect,
    params: [ABOVE_EVERYTHING, uid, long(eff), mid],
    partition: `inbox_direct:${uid}`,
  });
  const listed = (uid: string, mid: string): Mutation => ({
    cql: dropListed,
    params: [ABOVE_EVERYTHING, uid, mid],
    partition: `inbox_audience:${uid}`,
  });
  return async (uid: string, at: Applied, memo: BatchMemo): Promise<Mutation[]> => {
    const out: Mutation[] = [];
    // Stored rows (earlier batches; a redelivered batch's own later rows are skipped by position).
    for (const r of await db.read(directRows, [uid])) {
      if (num(r.position) >= at.position) continue;
      const mid = str(r.mid);
      if ((await messageKeys(db, memo, mid))?.audience.kind === 'users') out.push(direct(uid, num(r.eff), mid));
    }
    // Chunked memberships carry no position: a stored row is from a part the follower applied
    // before this erasure (the log is applied in order). Only a batch redelivered after a crash
    // could meet a row of a later part naming the same user of the same message: it goes too.
    for (const r of await db.read(audienceRows, [uid])) out.push(listed(uid, str(r.mid)));
    // This batch's multicasts and parts before the erasure (their writes have not run yet).
    for (const [mid, keys] of memo.messages)
      if (keys?.audience.kind === 'users' && (keys.audience.uids as readonly string[]).includes(uid))
        out.push(direct(uid, keys.eff, mid));
    for (const p of memo.parts) if (inSorted(p.uids, uid)) out.push(listed(uid, p.mid));
    return out;
  };
};
