import type { SqliteProjection } from '../projection.js';

// User imports' progress, one row per recorded part (UsersImported), keyed by (import id, first
// line): a retried part (same id and first line) is one row, and the earliest record wins, so
// a redelivery or a replay gives the same row. The import's totals are summed when read
// (queries.ts): an import has a part per 2,000 lines (msgxc import), a few rows to sum.
const ddl = [
  `CREATE TABLE IF NOT EXISTS user_import_parts (
     import_id TEXT NOT NULL,
     first_line INTEGER NOT NULL,
     lines_read INTEGER NOT NULL,
     users_written INTEGER NOT NULL,
     unchanged INTEGER NOT NULL,
     errors INTEGER NOT NULL,
     first_errors TEXT NOT NULL,
     recorded_at TEXT NOT NULL,
     started_at TEXT,
     position INTEGER NOT NULL,
     PRIMARY KEY (import_id, first_line)
   ) WITHOUT ROWID`,
];

export const userImportsProjection: SqliteProjection = {
  name: 'user-imports',
  tables: ['user_import_parts'],
  ddl,
  prepare: (db) => {
    const record = db.prepare<[string, number, number, number, number, number, string, string, string | null, number]>(
      `INSERT INTO user_import_parts
         (import_id, first_line, lines_read, users_written, unchanged, errors, first_errors, recorded_at, started_at, position)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (import_id, first_line) DO UPDATE SET
         lines_read = excluded.lines_read, users_written = excluded.users_written, unchanged = excluded.unchanged,
         errors = excluded.errors, first_errors = excluded.first_errors, recorded_at = excluded.recorded_at,
         started_at = excluded.started_at, position = excluded.position
       WHERE excluded.position < position`,
    );
    return {
      UsersImported: (e, at) => {
        record.run(
          e.id,
          e.firstLine,
          e.linesRead,
          e.usersWritten,
          e.unchanged,
          e.errors,
          JSON.stringify(e.firstErrors),
          at.occurredAt,
          e.startedAt ?? null,
          at.position,
        );
      },
    };
  },
};
