import type { Database } from 'better-sqlite3';

// The search projection's reads of its own live state in the embedded store: a message's live
// lists (`search_live`, newline-separated uids) and the one-recipient members of its sets.
// Prepared once per generation's tables (reset() drops them: the caller prepares anew).
export const embeddedLiveReads = (db: Database) => {
  const lists = db.prepare<[string], { mid: string; uids: string }>(
    'SELECT mid, uids FROM search_live WHERE mid IN (SELECT value FROM json_each(?))',
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
        const list = out.get(r.mid) ?? [];
        for (const uid of r.uids.split('\n')) list.push(uid);
        out.set(r.mid, list);
      }
      return out;
    },
    setMembers: (mid: string, sets: readonly string[]): { set: string; uid: string }[] =>
      members.all(mid, JSON.stringify(sets)),
  };
};
