import type { SqliteProjection } from '../projection.js';

// A thread's settings and its members' roles (one row per role held). Subscription
// *periods*, which decide what reaches an inbox, live with the inbox read model.
const ddl = [
  `CREATE TABLE IF NOT EXISTS threads (
     tid TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     name TEXT,
     opens INTEGER NOT NULL,
     openp INTEGER NOT NULL,
     urgency INTEGER,
     channels TEXT NOT NULL,
     fallback TEXT NOT NULL,
     mtypes TEXT NOT NULL,
     created_at TEXT NOT NULL,
     position INTEGER NOT NULL
   ) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS thread_members (
     tid TEXT NOT NULL,
     uid TEXT NOT NULL,
     role TEXT NOT NULL,
     PRIMARY KEY (tid, uid, role)
   ) WITHOUT ROWID`,
  'CREATE INDEX IF NOT EXISTS thread_members_by_role ON thread_members (tid, role, uid)',
  // threadsOf(uid): the threads a user owns, and those they hold a role in.
  'CREATE INDEX IF NOT EXISTS threads_by_owner ON threads (owner, tid)',
  'CREATE INDEX IF NOT EXISTS thread_members_by_uid ON thread_members (uid, tid)',
];

type CreateArgs = [
  string,
  string,
  string | null,
  number,
  number,
  number | null,
  string,
  string,
  string,
  string,
  number,
];

export const threadsProjection: SqliteProjection = {
  name: 'threads',
  tables: ['threads', 'thread_members'],
  ddl,
  prepare: (db) => {
    // A thread is created once; a redelivered ThreadCreated leaves the row as it is.
    const create = db.prepare<CreateArgs>(
      `INSERT INTO threads (tid, owner, name, opens, openp, urgency, channels, fallback, mtypes, created_at, position)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tid) DO NOTHING`,
    );
    const add = db.prepare<[string, string, string]>(
      'INSERT OR IGNORE INTO thread_members (tid, uid, role) VALUES (?, ?, ?)',
    );
    const remove = db.prepare<[string, string, string]>(
      'DELETE FROM thread_members WHERE tid = ? AND uid = ? AND role = ?',
    );
    // SQLite applies each event once, in log order, so a later change simply overwrites.
    const settings = db.prepare<[string | null, number | null, number | null, string]>(
      `UPDATE threads SET name = COALESCE(?, name), opens = COALESCE(?, opens), openp = COALESCE(?, openp)
       WHERE tid = ?`,
    );
    const flag = (b: boolean | undefined): number | null => (b === undefined ? null : b ? 1 : 0);
    return {
      ThreadSettingsChanged: (e) => {
        settings.run(e.name ?? null, flag(e.opens), flag(e.openp), e.tid);
      },
      ThreadCreated: (e, at) => {
        create.run(
          e.tid,
          e.owner,
          e.name ?? null,
          e.opens ? 1 : 0,
          e.openp ? 1 : 0,
          e.urgency ?? null,
          JSON.stringify(e.channels ?? []),
          JSON.stringify(e.fallback ?? []),
          JSON.stringify(e.mtypes ?? []),
          at.occurredAt,
          at.position,
        );
      },
      ThreadMemberAdded: (e) => {
        add.run(e.tid, e.uid, e.role);
      },
      ThreadMemberRemoved: (e) => {
        remove.run(e.tid, e.uid, e.role);
      },
    };
  },
};
