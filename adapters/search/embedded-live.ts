import type { Database } from 'better-sqlite3';
import { FailedToQuery } from './errors.js';
import type { HeldReceipt } from '../../ports/search.js';
import type { ReceiptStage } from '../../schema/search-documents.js';

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
  const addressed = db.prepare<[string], { mid: string; uid: string }>(
    `SELECT s.mid AS mid, s.uid AS uid FROM json_each(?) p
     JOIN search_receipt_sets s ON s.mid = json_extract(p.value, '$[0]') AND s.status = 'f:addressed'
       AND s.uid = json_extract(p.value, '$[1]')`,
  );
  const held = db.prepare<[string], { mid: string; uid: string; channel: string; status: string; at: string }>(
    `SELECT mid, uid, channel, status, at FROM search_held WHERE mid IN (SELECT value FROM json_each(?))
     ORDER BY mid, uid, channel, status, at`,
  );
  return {
    addressed: (pairs: readonly { mid: string; uid: string }[]): Map<string, Set<string>> => {
      const out = new Map<string, Set<string>>();
      if (pairs.length === 0) return out;
      for (const r of addressed.all(JSON.stringify(pairs.map((p) => [p.mid, p.uid])))) {
        const uids = out.get(r.mid) ?? new Set<string>();
        uids.add(r.uid);
        out.set(r.mid, uids);
      }
      return out;
    },
    heldReceipts: (mids: readonly string[]): Map<string, HeldReceipt[]> => {
      const out = new Map<string, HeldReceipt[]>();
      if (mids.length === 0) return out;
      for (const r of held.all(JSON.stringify(mids))) {
        const list = out.get(r.mid) ?? [];
        // Only the projection writes this table, with receipt stages.
        list.push({ mid: r.mid, uid: r.uid, channel: r.channel, status: r.status as ReceiptStage, at: r.at });
        out.set(r.mid, list);
      }
      return out;
    },
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
