import { createHash } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { TIMER_DDL, TIMER_TABLES } from '../timers/tables.js';

// The reactors' own read models, in one SQLite file (`<data dir>/reactors.db` by default),
// each table written by exactly one reactor, in the same transaction as its checkpoint:
//
// triage reactor -> the directory (dir_*): who can be reached where, as of the event the
//   triage reactor is at, so a plan sees exactly the devices and members that preceded the
//   message in the log; scheduled-message timers.
// dispatch reactor -> deliveries (dl_*): one row per planned step (and per digest), its
//   state and stream revision; receipts, read markers, cancellations and collapse keys
//   (what `nextStep` checks); step, retry, lease and digest timers.
const DIRECTORY_DDL = [
  // first_position: when the user became known (NULL: only a profile so far); a broadcast
  // reaches the users known before it, as in the inbox read model.
  `CREATE TABLE IF NOT EXISTS dir_users (
     uid TEXT PRIMARY KEY, first_position INTEGER, email TEXT, cell TEXT, channels TEXT NOT NULL DEFAULT '[]'
   ) WITHOUT ROWID`,
  'CREATE INDEX IF NOT EXISTS dir_users_known ON dir_users (uid) WHERE first_position IS NOT NULL',
  `CREATE TABLE IF NOT EXISTS dir_user_threads (
     uid TEXT NOT NULL, tid TEXT NOT NULL, channels TEXT NOT NULL, PRIMARY KEY (uid, tid)
   ) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS dir_devices (
     uid TEXT NOT NULL, device_id TEXT NOT NULL, channel TEXT NOT NULL, device TEXT NOT NULL, position INTEGER NOT NULL,
     PRIMARY KEY (uid, device_id)
   ) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS dir_threads (
     tid TEXT PRIMARY KEY, name TEXT, channels TEXT NOT NULL, fallback TEXT NOT NULL
   ) WITHOUT ROWID`,
  'CREATE TABLE IF NOT EXISTS dir_members (tid TEXT NOT NULL, uid TEXT NOT NULL, PRIMARY KEY (tid, uid)) WITHOUT ROWID',
  // status: scheduled | due | published | cancelled | retracted
  // data is the MessagePublished event's data, never updated (readers may cache it parsed).
  `CREATE TABLE IF NOT EXISTS dir_messages (
     mid TEXT PRIMARY KEY, position INTEGER NOT NULL, status TEXT NOT NULL, tid TEXT, data TEXT NOT NULL,
     event_id TEXT NOT NULL, correlation TEXT NOT NULL
   ) WITHOUT ROWID`,
];

const DELIVERY_DDL = [
  // kind: step | digest (a digest unit) | member (a step gathered into `digest`)
  // status: pending | claimed | done | skipped | given-up
  `CREATE TABLE IF NOT EXISTS dl_steps (
     key TEXT PRIMARY KEY, kind TEXT NOT NULL, mid TEXT, uid TEXT NOT NULL, channel TEXT NOT NULL, device_id TEXT,
     digest TEXT, collapse TEXT, due INTEGER NOT NULL, at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
     status TEXT NOT NULL, attempt INTEGER NOT NULL DEFAULT 0, revision INTEGER NOT NULL DEFAULT -1,
     claim_node TEXT, claim_run TEXT, reason TEXT, cause TEXT NOT NULL, correlation TEXT NOT NULL
   ) WITHOUT ROWID`,
  'CREATE INDEX IF NOT EXISTS dl_steps_by_mid ON dl_steps (mid) WHERE mid IS NOT NULL',
  'CREATE INDEX IF NOT EXISTS dl_steps_by_digest ON dl_steps (digest) WHERE digest IS NOT NULL',
  "CREATE INDEX IF NOT EXISTS dl_steps_claimed ON dl_steps (claim_node, claim_run) WHERE status = 'claimed'",
  'CREATE TABLE IF NOT EXISTS dl_engaged (uid TEXT NOT NULL, mid TEXT NOT NULL, seen INTEGER NOT NULL, read INTEGER NOT NULL, PRIMARY KEY (uid, mid)) WITHOUT ROWID',
  'CREATE TABLE IF NOT EXISTS dl_markers (uid TEXT NOT NULL, scope TEXT NOT NULL, mid TEXT NOT NULL, PRIMARY KEY (uid, scope)) WITHOUT ROWID',
  'CREATE TABLE IF NOT EXISTS dl_collapse (uid TEXT NOT NULL, ckey TEXT NOT NULL, due INTEGER NOT NULL, mid TEXT NOT NULL, PRIMARY KEY (uid, ckey)) WITHOUT ROWID',
  'CREATE TABLE IF NOT EXISTS dl_cancelled (mid TEXT PRIMARY KEY) WITHOUT ROWID',
  // One row per triaged message: the "recent" report without scanning steps.
  `CREATE TABLE IF NOT EXISTS dl_messages (
     mid TEXT PRIMARY KEY, due INTEGER NOT NULL, expires_at INTEGER NOT NULL, recipients INTEGER NOT NULL, batches INTEGER NOT NULL,
     triaged_position INTEGER NOT NULL
   ) WITHOUT ROWID`,
  'CREATE INDEX IF NOT EXISTS dl_messages_by_due ON dl_messages (due)',
];

const TABLES = [
  'dir_users',
  'dir_user_threads',
  'dir_devices',
  'dir_threads',
  'dir_members',
  'dir_messages',
  'dl_steps',
  'dl_engaged',
  'dl_markers',
  'dl_collapse',
  'dl_cancelled',
  'dl_messages',
  ...TIMER_TABLES,
];
const DDL = [...DIRECTORY_DDL, ...DELIVERY_DDL, ...TIMER_DDL];
const BOOKKEEPING = [
  'CREATE TABLE IF NOT EXISTS reactor_checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL) WITHOUT ROWID',
  'CREATE TABLE IF NOT EXISTS reactor_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID',
];

// Bump when a fold changes meaning without a DDL change: a different version drops these
// read models and the reactors rebuild them from the log (their effects are idempotent).
const FOLD_VERSION = 1;
export const REACTOR_SCHEMA_VERSION = createHash('sha256')
  .update(`${FOLD_VERSION}\n${DDL.join('\n')}`)
  .digest('hex');

const recreate = (db: Database): void => {
  db.transaction(() => {
    for (const t of TABLES) db.prepare(`DROP TABLE IF EXISTS ${t}`).run();
    for (const sql of DDL) db.prepare(sql).run();
    db.prepare('DELETE FROM reactor_checkpoints').run();
    db.prepare(`INSERT OR REPLACE INTO reactor_meta (key, value) VALUES ('version', ?)`).run(REACTOR_SCHEMA_VERSION);
  })();
};

export const ensureReactorModels = (db: Database): void => {
  for (const sql of BOOKKEEPING) db.prepare(sql).run();
  const row = db.prepare<[], { value: string }>(`SELECT value FROM reactor_meta WHERE key = 'version'`).get();
  if (row?.value !== REACTOR_SCHEMA_VERSION) recreate(db);
};

/** Opens (or creates) the reactors' file. Losing its last transactions on power loss is fine: the checkpoints go with them. */
export const openReactorDb = (file: string): Database => {
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  ensureReactorModels(db);
  return db;
};

export const readReactorCheckpoint = (db: Database, name: string): number =>
  db.prepare<[string], number>('SELECT position FROM reactor_checkpoints WHERE name = ?').pluck().get(name) ?? 0;

export const writeReactorCheckpoint = (db: Database, name: string, position: number): void => {
  db.prepare<[string, number]>(
    'INSERT INTO reactor_checkpoints (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position',
  ).run(name, position);
};
