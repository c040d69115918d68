import type { Database } from 'better-sqlite3';
import { INTERVALS } from '../../schema/search-query.js';
import type { CheckInDoc, OnlineQuery, OnlineTotals } from '../../schema/online-time.js';

// Online time in the embedded search file: one row per (node, check-in interval, uid, minute),
// instants as epoch milliseconds so that a bucket is integer division (UTC).

export const CHECKIN_TABLES = ['search_checkins'] as const;

export const CHECKIN_DDL = [
  `CREATE TABLE IF NOT EXISTS search_checkins (
     id TEXT PRIMARY KEY, uid TEXT NOT NULL, node TEXT NOT NULL, at INTEGER NOT NULL, online_ms INTEGER NOT NULL
   )`,
  'CREATE INDEX IF NOT EXISTS search_checkins_at ON search_checkins (at, uid, online_ms)',
  'CREATE INDEX IF NOT EXISTS search_checkins_uid ON search_checkins (uid, at, online_ms)',
];

export const checkInWriter = (db: Database) => {
  const put = db.prepare<[string, string, string, number, number]>(
    `INSERT INTO search_checkins (id, uid, node, at, online_ms) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET online_ms = excluded.online_ms`,
  );
  const drop = db.prepare<[string]>('DELETE FROM search_checkins WHERE uid = ?');
  return {
    put: (d: CheckInDoc): void => {
      put.run(d.id, d.uid, d.node, Date.parse(d.at), d.onlineMs);
    },
    /** An erasure (docs/gdpr.md): the user's online time goes. */
    drop: (uid: string): void => {
      drop.run(uid);
    },
  };
};

export const checkInQueries =
  (db: Database) =>
  (q: OnlineQuery): OnlineTotals => {
    const step = INTERVALS[q.interval];
    const where = `at >= ? AND at < ?${q.uid === undefined ? '' : ' AND uid = ?'}`;
    const params = [Date.parse(q.since), Date.parse(q.until), ...(q.uid === undefined ? [] : [q.uid])];
    const total = db
      .prepare<unknown[], { ms: number | null; users: number }>(
        `SELECT SUM(online_ms) AS ms, COUNT(DISTINCT uid) AS users FROM search_checkins WHERE ${where}`,
      )
      .get(...params);
    const buckets = db
      .prepare<unknown[], { k: number; ms: number; users: number }>(
        `SELECT (at / ${step}) * ${step} AS k, SUM(online_ms) AS ms, COUNT(DISTINCT uid) AS users
       FROM search_checkins WHERE ${where} GROUP BY k ORDER BY k`,
      )
      .all(...params);
    const top = db
      .prepare<unknown[], { uid: string; ms: number }>(
        `SELECT uid, SUM(online_ms) AS ms FROM search_checkins WHERE ${where} GROUP BY uid ORDER BY ms DESC, uid ASC LIMIT ?`,
      )
      .all(...params, q.top);
    return {
      onlineMs: total?.ms ?? 0,
      users: total?.users ?? 0,
      buckets: buckets.map((b) => ({ key: new Date(b.k).toISOString(), onlineMs: b.ms, users: b.users })),
      top: top.map((u) => ({ uid: u.uid, onlineMs: u.ms })),
    };
  };
