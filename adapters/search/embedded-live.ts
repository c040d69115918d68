import type { Database } from 'better-sqlite3';
import { FailedToQuery } from './errors.js';

// The search projection's reads of its own live state in the embedded store: a message's live
// lists (`search_live`, newline-separated uids, or the name of a list of `search_live_roots`) and
// the one-recipient members of its sets. Prepared once per generation's tables (reset() drops
// them: the caller prepares anew).
export const embeddedLiveReads = (db: Database) => {
  const lists = db.prepare<[string], { mid: string; uids: string; root: string | null; rooted: string | null }>(
    `SELECT l.mid AS mid, l.uids AS uids, l.root AS root, r.uids AS rooted
     FROM search_live l LEFT JOIN search_live_roots r ON r.root = l.root
     WHERE l.mid IN (SELECT value FROM json_each(?))`,
  );
  const members = db.prepare<[string, string], { set: string; uid: string }>(
    `SELECT status AS "set", uid FROM search_receipt_sets
     WHERE mid = ? AND status IN (SELECT value FROM json_each(?)) AND uid NOT LIKE '#%'`,
  );
  return {
    liveUids: (mids: readonly string[]): Map<string, string[]> => {
      const out = new Map<string, string[]>();
      if (mids.length === 0) return out;
      for (const r of lists.all(JSON.stringify(mids))) {
        // A root is written in the same transaction as the first list naming it, or before.
        if (r.root !== null && r.rooted === null)
          throw new FailedToQuery(`live list ${r.mid} names the root ${r.root}, which is not stored`);
        const uids = r.rooted ?? r.uids;
        const list = out.get(r.mid) ?? [];
        if (uids !== '') for (const uid of uids.split('\n')) list.push(uid);
        out.set(r.mid, list);
      }
      return out;
    },
    setMembers: (mid: string, sets: readonly string[]): { set: string; uid: string }[] =>
      members.all(mid, JSON.stringify(sets)),
  };
};
