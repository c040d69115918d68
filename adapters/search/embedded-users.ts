import type { Database } from 'better-sqlite3';
import type { SegmentQuery } from '../../schema/segment-query.js';
import { typedText } from '../../schema/user-directory.js';
import type { UserDoc } from '../../schema/user-directory.js';

// The user directory in the embedded search file: the whole document as JSON (read back by the
// projection), plus one row per tag/channel and per attribute pair, which segment queries test
// with EXISTS. Every value reaches SQLite as a bound parameter; the SQL text is built only from
// the query's shape (and/or/not), never from what a caller wrote.

export const USER_TABLES = ['search_users', 'search_user_terms', 'search_user_attrs'] as const;

export const USER_DDL = [
  `CREATE TABLE IF NOT EXISTS search_users (uid TEXT PRIMARY KEY, doc TEXT NOT NULL, last_seen INTEGER)`,
  `CREATE TABLE IF NOT EXISTS search_user_terms (
     field TEXT NOT NULL, value TEXT NOT NULL, uid TEXT NOT NULL, PRIMARY KEY (field, value, uid)
   ) WITHOUT ROWID`,
  'CREATE INDEX IF NOT EXISTS search_user_terms_uid ON search_user_terms (uid)',
  `CREATE TABLE IF NOT EXISTS search_user_attrs (
     k TEXT NOT NULL, s TEXT NOT NULL, n REAL, uid TEXT NOT NULL, PRIMARY KEY (k, s, uid)
   ) WITHOUT ROWID`,
  'CREATE INDEX IF NOT EXISTS search_user_attrs_n ON search_user_attrs (k, n) WHERE n IS NOT NULL',
  'CREATE INDEX IF NOT EXISTS search_user_attrs_uid ON search_user_attrs (uid)',
];

/** Writes one user document whole: its rows replace whatever the uid had (idempotent). */
export const userWriter = (db: Database): ((doc: UserDoc) => void) => {
  const put = db.prepare<[string, string, number | null]>(
    `INSERT INTO search_users (uid, doc, last_seen) VALUES (?, ?, ?)
     ON CONFLICT (uid) DO UPDATE SET doc = excluded.doc, last_seen = excluded.last_seen`,
  );
  const dropTerms = db.prepare<[string]>('DELETE FROM search_user_terms WHERE uid = ?');
  const dropAttrs = db.prepare<[string]>('DELETE FROM search_user_attrs WHERE uid = ?');
  const term = db.prepare<[string, string, string]>(
    'INSERT OR IGNORE INTO search_user_terms (field, value, uid) VALUES (?, ?, ?)',
  );
  const attr = db.prepare<[string, string, number | null, string]>(
    'INSERT OR IGNORE INTO search_user_attrs (k, s, n, uid) VALUES (?, ?, ?, ?)',
  );
  return (doc) => {
    put.run(doc.uid, JSON.stringify(doc), doc.lastSeen === null ? null : Date.parse(doc.lastSeen));
    dropTerms.run(doc.uid);
    dropAttrs.run(doc.uid);
    for (const t of doc.tags) term.run('tag', t, doc.uid);
    for (const c of doc.channels) term.run('channel', c, doc.uid);
    for (const p of doc.attrs) attr.run(p.k, p.s, p.n, doc.uid);
  };
};

/** Removes a user's document and rows (an erasure: docs/gdpr.md); none there: nothing happens. */
export const userDropper = (db: Database): ((uid: string) => void) => {
  const drops = ['search_users', 'search_user_terms', 'search_user_attrs'].map((table) =>
    db.prepare<[string]>(`DELETE FROM ${table} WHERE uid = ?`),
  );
  return (uid) => {
    for (const drop of drops) drop.run(uid);
  };
};

interface Compiled {
  readonly sql: string;
  readonly params: (string | number)[];
}

const TERM = 'EXISTS (SELECT 1 FROM search_user_terms x WHERE x.uid = u.uid AND x.field = ? AND x.value = ?)';
const ATTR = (test: string) => `EXISTS (SELECT 1 FROM search_user_attrs a WHERE a.uid = u.uid AND a.k = ? AND ${test})`;

// Every predicate is two-valued (EXISTS, or a NULL test first), so NOT never meets SQL's NULL.
export const compileUserQuery = (q: SegmentQuery): Compiled => {
  const params: (string | number)[] = [];
  const go = (n: SegmentQuery): string => {
    if ('tag' in n) {
      params.push('tag', n.tag);
      return TERM;
    }
    if ('channel' in n) {
      params.push('channel', n.channel);
      return TERM;
    }
    if ('lastSeen' in n) {
      const parts = ['u.last_seen IS NOT NULL'];
      if (n.lastSeen.after !== undefined) {
        parts.push('u.last_seen > ?');
        params.push(Date.parse(n.lastSeen.after));
      }
      if (n.lastSeen.before !== undefined) {
        parts.push('u.last_seen < ?');
        params.push(Date.parse(n.lastSeen.before));
      }
      return `(${parts.join(' AND ')})`;
    }
    if ('all' in n) return n.all.length === 0 ? '1' : `(${n.all.map(go).join(' AND ')})`;
    if ('any' in n) return n.any.length === 0 ? '0' : `(${n.any.map(go).join(' OR ')})`;
    if ('not' in n) return `(NOT ${go(n.not)})`;
    params.push(n.attribute);
    if ('eq' in n) {
      params.push(typedText(n.eq));
      return ATTR('a.s = ?');
    }
    if ('in' in n) {
      params.push(JSON.stringify(n.in.map(typedText)));
      return ATTR('a.s IN (SELECT value FROM json_each(?))');
    }
    if ('gt' in n) {
      params.push(n.gt);
      return ATTR('a.n IS NOT NULL AND a.n > ?');
    }
    params.push(n.lt);
    return ATTR('a.n IS NOT NULL AND a.n < ?');
  };
  const sql = go(q);
  return { sql, params };
};

export const userQueries = (db: Database) => ({
  users: (uids: readonly string[]): Map<string, UserDoc> =>
    new Map(
      db
        .prepare<[string], { uid: string; doc: string }>(
          'SELECT uid, doc FROM search_users WHERE uid IN (SELECT value FROM json_each(?))',
        )
        .all(JSON.stringify(uids))
        .map((r) => [r.uid, JSON.parse(r.doc) as UserDoc]),
    ),
  countUsers: (q: SegmentQuery): number => {
    const c = compileUserQuery(q);
    return (
      db.prepare<unknown[], { n: number }>(`SELECT COUNT(*) AS n FROM search_users u WHERE ${c.sql}`).get(...c.params)
        ?.n ?? 0
    );
  },
  selectUsers: (q: SegmentQuery, page: { readonly after?: string; readonly limit: number }): string[] => {
    const c = compileUserQuery(q);
    return db
      .prepare<unknown[], { uid: string }>(
        `SELECT u.uid FROM search_users u WHERE u.uid > ? AND ${c.sql} ORDER BY u.uid LIMIT ?`,
      )
      .all(page.after ?? '', ...c.params, page.limit)
      .map((r) => r.uid);
  },
});
