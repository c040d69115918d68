import type { Database } from 'better-sqlite3';
import { USER_DDL, USER_TABLES } from './embedded-users.js';
import { CHECKIN_DDL, CHECKIN_TABLES } from './embedded-checkins.js';

// Tables of the embedded search store. Instants are epoch milliseconds (they sort and bucket
// as integers); counts and per-status times are small JSON objects, never aggregated on.
// `search_receipt_sets` is the projection's own state: one row per (mid, status, uid), so
// a message's counts are set sizes and a redelivered receipt cannot count twice. A row with
// `n` > 1 stands for n recipients: a live list's count (uid `#live/<key>`), its uids in
// `search_live` (one row per list, newline-separated), so a live recipient costs no row of its own.
// A list a batch named by reference (issue 15) is a row whose `root` names a list of
// `search_live_roots` (stored once, whatever the number of messages naming it) and whose `uids` is empty.
// `search_held`: receipts from users the message was not addressed to when they came (ports/search.ts
// holdReceipt), counted nowhere; the projection reads a message's when its triage comes.
export const SEARCH_TABLES = [
  'search_messages',
  'search_messages_fts',
  'search_deliveries',
  'search_receipt_sets',
  'search_live',
  'search_live_roots',
  'search_direct',
  'search_held',
  ...USER_TABLES,
  ...CHECKIN_TABLES,
] as const;

const DDL = [
  `CREATE TABLE IF NOT EXISTS search_messages (
     mid TEXT PRIMARY KEY,
     tid TEXT,
     sender TEXT NOT NULL,
     audience TEXT NOT NULL,
     recipients INTEGER,
     text TEXT NOT NULL,
     urgency INTEGER NOT NULL,
     at INTEGER NOT NULL,
     scheduled INTEGER,
     status TEXT NOT NULL,
     counts TEXT NOT NULL,
     funnel TEXT NOT NULL DEFAULT '{}',
     channels TEXT NOT NULL DEFAULT '[]',
     variants TEXT
   )`,
  'CREATE INDEX IF NOT EXISTS search_messages_at ON search_messages (at, mid)',
  'CREATE INDEX IF NOT EXISTS search_messages_tid ON search_messages (tid, at, mid) WHERE tid IS NOT NULL',
  'CREATE INDEX IF NOT EXISTS search_messages_sender ON search_messages (sender, at, mid)',
  // Contentless: the words are only matched, never read back; rowid = search_messages.rowid.
  // `ascii` splits only on ASCII punctuation and spaces, so it reads back words() exactly.
  `CREATE VIRTUAL TABLE IF NOT EXISTS search_messages_fts USING fts5(words, content='', tokenize='ascii')`,
  `CREATE TABLE IF NOT EXISTS search_deliveries (
     id TEXT PRIMARY KEY,
     mid TEXT NOT NULL,
     uid TEXT NOT NULL,
     channel TEXT NOT NULL,
     status TEXT NOT NULL,
     at INTEGER NOT NULL,
     latency_ms INTEGER,
     times TEXT NOT NULL,
     reason TEXT,
     attempts INTEGER,
     tid TEXT,
     msg_at INTEGER,
     read_ms INTEGER
   )`,
  'CREATE INDEX IF NOT EXISTS search_deliveries_mid ON search_deliveries (mid)',
  'CREATE INDEX IF NOT EXISTS search_deliveries_at ON search_deliveries (at)',
  // Direct messages by their one recipient, for an erasure (docs/gdpr.md). Files from before it
  // have none for older messages: a rebuild fills it (and reads those messages erased already).
  `CREATE TABLE IF NOT EXISTS search_direct (
     uid TEXT NOT NULL, mid TEXT NOT NULL, PRIMARY KEY (uid, mid)
   ) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS search_receipt_sets (
     mid TEXT NOT NULL, status TEXT NOT NULL, uid TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 1,
     PRIMARY KEY (mid, status, uid)
   ) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS search_live (
     mid TEXT NOT NULL, key TEXT NOT NULL, uids TEXT NOT NULL, root TEXT, PRIMARY KEY (mid, key)
   ) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS search_held (
     mid TEXT NOT NULL, uid TEXT NOT NULL, channel TEXT NOT NULL, status TEXT NOT NULL, at TEXT NOT NULL,
     PRIMARY KEY (mid, uid, channel, status, at)
   ) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS search_live_roots (
     root TEXT PRIMARY KEY, uids TEXT NOT NULL
   ) WITHOUT ROWID`,
  ...USER_DDL,
  ...CHECKIN_DDL,
];
// Columns added since the first version, added in place to a file from before (its rows keep
// the defaults, read back as an empty funnel: a rebuild fills them from the log).
const ADDED: readonly (readonly [string, string, string])[] = [
  ['search_messages', 'funnel', "TEXT NOT NULL DEFAULT '{}'"],
  ['search_messages', 'channels', "TEXT NOT NULL DEFAULT '[]'"],
  ['search_messages', 'variants', 'TEXT'],
  ['search_deliveries', 'tid', 'TEXT'],
  ['search_deliveries', 'msg_at', 'INTEGER'],
  ['search_deliveries', 'read_ms', 'INTEGER'],
  ['search_receipt_sets', 'n', 'INTEGER NOT NULL DEFAULT 1'],
  ['search_live', 'root', 'TEXT'],
];
const addColumns = (db: Database): void => {
  for (const [table, column, type] of ADDED) {
    const has = db.prepare<[], { name: string }>(`PRAGMA table_info(${table})`).all();
    if (!has.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
  }
};

// Checkpoints and dead letters: the follower's tables in the same file (adapters/checkpoint/sqlite.ts).

// FTS5's own secure delete (SQLite >= 3.42), a setting stored in the table: a `delete` (of a
// contentless row, its words given back) removes the words from the index's segments at once,
// instead of recording a delete marker and leaving them in the older segment until a merge.
// Only an erasure deletes from this table, so it costs nothing otherwise.
const FTS_SECURE_DELETE = `INSERT INTO search_messages_fts (search_messages_fts, rank) VALUES ('secure-delete', 1)`;
const ftsSecureDelete = (db: Database): void => {
  const set = db
    .prepare<[], { v: unknown }>(`SELECT v FROM search_messages_fts_config WHERE k = 'secure-delete'`)
    .get();
  if (Number(set?.v ?? 0) !== 1) db.exec(FTS_SECURE_DELETE);
};

export const ensureSearchTables = (db: Database): void => {
  for (const sql of DDL) db.exec(sql);
  addColumns(db);
  ftsSecureDelete(db);
};

export const dropSearchTables = (db: Database): void => {
  db.transaction(() => {
    for (const table of SEARCH_TABLES) db.exec(`DROP TABLE IF EXISTS ${table}`);
    ensureSearchTables(db);
  })();
};
