import { createHash } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { clearCheckpoints, ensureCheckpointTables } from '../checkpoint/sqlite.js';
import { useWal } from '../sqlite/wal.js';

// Delivery's state in one SQLite file (`<data dir>/reactors.db`). Each table is written by one
// follower, in the same transaction as its checkpoint:
//
// triage -> the directory (dir_*): who can be reached where, as of the event triage is at, so
//   a plan sees exactly the devices and members that preceded the message in the log; the
//   publish timers of scheduled messages.
// dispatch -> the units (dl_groups: the steps of one group stream in one row; dl_units: one
//   row per digest window, digest member, and step whose facts are in its own stream; each
//   unit's stage and stream revision); receipts, read markers, cancellations and collapse keys
//   (what `nextStep` checks); triaged messages (the "recent" report); step and digest timers.
const DIRECTORY_DDL = [
  // first_position: when the user became known (NULL: only a profile so far); a broadcast
  // reaches the users known before it, as in the inbox read model.
  `CREATE TABLE IF NOT EXISTS dir_users (
     uid TEXT PRIMARY KEY, first_position INTEGER, email TEXT, cell TEXT, channels TEXT NOT NULL DEFAULT '[]'
   ) WITHOUT ROWID`,
  'CREATE INDEX IF NOT EXISTS dir_users_known ON dir_users (uid) WHERE first_position IS NOT NULL',
  // A user's zone and quiet hours (JSON), apart from dir_users: most users have none.
  'CREATE TABLE IF NOT EXISTS dir_user_time (uid TEXT PRIMARY KEY, timezone TEXT, quiet TEXT) WITHOUT ROWID',
  `CREATE TABLE IF NOT EXISTS dir_user_threads (
     uid TEXT NOT NULL, tid TEXT NOT NULL, channels TEXT NOT NULL, PRIMARY KEY (uid, tid)
   ) WITHOUT ROWID`,
  // revision: the enlistment's revision in the user's stream. A device belongs to one user at a
  // time (the latest to enlist it): its holder is found by device_id, and another user's older
  // enlistment of it leaves for dir_device_moves until its revocation is folded (delivery/moves.ts).
  `CREATE TABLE IF NOT EXISTS dir_devices (
     uid TEXT NOT NULL, device_id TEXT NOT NULL, channel TEXT NOT NULL, device TEXT NOT NULL, position INTEGER NOT NULL,
     revision INTEGER NOT NULL, PRIMARY KEY (uid, device_id)
   ) WITHOUT ROWID`,
  'CREATE INDEX IF NOT EXISTS dir_devices_by_device ON dir_devices (device_id)',
  `CREATE TABLE IF NOT EXISTS dir_device_moves (
     uid TEXT NOT NULL, device_id TEXT NOT NULL, position INTEGER NOT NULL, revision INTEGER NOT NULL,
     PRIMARY KEY (uid, device_id)
   ) WITHOUT ROWID`,
  'CREATE INDEX IF NOT EXISTS dir_device_moves_by_device ON dir_device_moves (device_id)',
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
  // kind: step | digest | member; status: pending | claimed | done | skipped | given-up
  // claim_* and lease_until while claimed; reason once skipped or given up; waiting: a
  // digest's waiting members (JSON array of mids).
  `CREATE TABLE IF NOT EXISTS dl_units (
     key TEXT PRIMARY KEY, kind TEXT NOT NULL, mid TEXT, uid TEXT NOT NULL, channel TEXT NOT NULL, device_id TEXT,
     digest TEXT, collapse TEXT, urgency INTEGER NOT NULL DEFAULT 3, due INTEGER NOT NULL, at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
     status TEXT NOT NULL, attempt INTEGER NOT NULL, stream TEXT NOT NULL, revision INTEGER NOT NULL,
     claim_node TEXT, claim_run TEXT, lease_until INTEGER, reason TEXT, waiting TEXT NOT NULL,
     cause TEXT NOT NULL, correlation TEXT NOT NULL
   ) WITHOUT ROWID`,
  'CREATE INDEX IF NOT EXISTS dl_units_by_mid ON dl_units (mid) WHERE mid IS NOT NULL',
  "CREATE INDEX IF NOT EXISTS dl_units_claimed ON dl_units (claim_node, claim_run) WHERE status = 'claimed'",
  // The steps of one group stream (a channel of a triage batch) in one row (sqlite-groups.ts),
  // with their counts per status (the "recent" report); a rowid table: its rows are large.
  `CREATE TABLE IF NOT EXISTS dl_groups (
     stream TEXT PRIMARY KEY, mid TEXT NOT NULL, channel TEXT NOT NULL, revision INTEGER NOT NULL, units TEXT NOT NULL,
     pending INTEGER NOT NULL, claimed INTEGER NOT NULL, done INTEGER NOT NULL, skipped INTEGER NOT NULL, given_up INTEGER NOT NULL
   )`,
  'CREATE INDEX IF NOT EXISTS dl_groups_by_mid ON dl_groups (mid, channel)',
  // Who holds claims in which group: a restarted node finds its earlier runs' claims.
  `CREATE TABLE IF NOT EXISTS dl_group_claims (
     node TEXT NOT NULL, run TEXT NOT NULL, stream TEXT NOT NULL, PRIMARY KEY (node, run, stream)
   ) WITHOUT ROWID`,
  'CREATE INDEX IF NOT EXISTS dl_group_claims_by_stream ON dl_group_claims (stream)',
  'CREATE TABLE IF NOT EXISTS dl_engaged (uid TEXT NOT NULL, mid TEXT NOT NULL, seen INTEGER NOT NULL, read INTEGER NOT NULL, PRIMARY KEY (uid, mid)) WITHOUT ROWID',
  'CREATE TABLE IF NOT EXISTS dl_markers (uid TEXT NOT NULL, scope TEXT NOT NULL, mid TEXT NOT NULL, PRIMARY KEY (uid, scope)) WITHOUT ROWID',
  'CREATE TABLE IF NOT EXISTS dl_collapse (uid TEXT NOT NULL, ckey TEXT NOT NULL, due INTEGER NOT NULL, mid TEXT NOT NULL, PRIMARY KEY (uid, ckey)) WITHOUT ROWID',
  'CREATE TABLE IF NOT EXISTS dl_cancelled (mid TEXT PRIMARY KEY) WITHOUT ROWID',
  // One row per triaged message: the "recent" report without scanning units.
  `CREATE TABLE IF NOT EXISTS dl_messages (
     mid TEXT PRIMARY KEY, due INTEGER NOT NULL, expires_at INTEGER NOT NULL, recipients INTEGER NOT NULL, batches INTEGER NOT NULL,
     triaged_position INTEGER NOT NULL
   ) WITHOUT ROWID`,
  'CREATE INDEX IF NOT EXISTS dl_messages_by_position ON dl_messages (triaged_position)',
];

// Durable timers: every time at which delivery must act, indexed by when. A timer is a time
// named by an event (a message's `scheduled`, a unit's `at`, a claim's lease, a retry's `at`),
// kept by the folds, so it is rebuilt from the log with the rest.
// kind: 'publish' (key = mid) | 'step' (key = unit key) | 'digest' (key = digest key)
//   | 'group' (key = group stream: the earliest wake-up of its steps)
const TIMER_DDL = [
  `CREATE TABLE IF NOT EXISTS timers (
     kind TEXT NOT NULL, key TEXT NOT NULL, due_at INTEGER NOT NULL,
     PRIMARY KEY (kind, key)
   ) WITHOUT ROWID`,
  'CREATE INDEX IF NOT EXISTS timers_by_due ON timers (due_at)',
];

const TABLES = [
  'dir_users',
  'dir_user_time',
  'dir_user_threads',
  'dir_devices',
  'dir_device_moves',
  'dir_threads',
  'dir_members',
  'dir_messages',
  'dl_steps', // before issue 11 stage C
  'dl_units',
  'dl_groups',
  'dl_group_claims',
  'dl_engaged',
  'dl_markers',
  'dl_collapse',
  'dl_cancelled',
  'dl_messages',
  'timers',
];
const DDL = [...DIRECTORY_DDL, ...DELIVERY_DDL, ...TIMER_DDL];
const BOOKKEEPING = [
  'CREATE TABLE IF NOT EXISTS reactor_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID',
];

// Bump when a fold changes meaning without a DDL change: a different version drops these
// tables and delivery rebuilds them from the log (its effects are idempotent).
const FOLD_VERSION = 3;
export const DELIVERY_SCHEMA_VERSION = createHash('sha256')
  .update(`${FOLD_VERSION}\n${DDL.join('\n')}`)
  .digest('hex');

const recreate = (db: Database): void => {
  db.transaction(() => {
    for (const t of TABLES) db.prepare(`DROP TABLE IF EXISTS ${t}`).run();
    for (const sql of DDL) db.prepare(sql).run();
    // The followers' checkpoints (adapters/checkpoint/sqlite.ts; an older file's
    // reactor_checkpoints is adopted there): they go with the tables they described.
    ensureCheckpointTables(db);
    clearCheckpoints(db);
    db.prepare(`INSERT OR REPLACE INTO reactor_meta (key, value) VALUES ('version', ?)`).run(DELIVERY_SCHEMA_VERSION);
  })();
};

// BEGIN IMMEDIATE: an embedded node's two delivery threads (MSGXC_REACTORS_THREAD=split) open
// the file at once. In a deferred transaction each would read the version, then fail to upgrade
// to a write (SQLITE_BUSY at once, no busy wait) or recreate the tables the other had just
// made; taking the write lock first makes the second wait, then find the version in place.
const ensure = (db: Database): void => {
  db.transaction(() => {
    for (const sql of BOOKKEEPING) db.prepare(sql).run();
    const row = db.prepare<[], { value: string }>(`SELECT value FROM reactor_meta WHERE key = 'version'`).get();
    if (row?.value !== DELIVERY_SCHEMA_VERSION) recreate(db);
  }).immediate();
};

/**
 * Opens (or creates) the file. synchronous=NORMAL: losing the last transactions on power loss
 * is fine, their checkpoints go with them and the folds apply those events again.
 */
export const openDeliveryDb = (file: string): Database => {
  const db = new BetterSqlite3(file);
  useWal(db);
  db.pragma('synchronous = NORMAL');
  ensure(db);
  return db;
};
