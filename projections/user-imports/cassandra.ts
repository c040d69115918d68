import type { ImportLineError } from '../../schema/import-events.js';
import type { UserImportView } from '../../ports/read-models.js';
import type { CassandraDb } from '../cassandra-db.js';
import { firstWins, long, num, str } from '../cassandra-db.js';
import type { CassandraProjection } from '../cassandra-projection.js';
import { sumParts } from './queries.js';

// User imports' parts in one partition per import id, one row per first line. The earliest
// record of a part wins (firstWins), as SQLite's position guard does, so a retried part is
// one row and a redelivery rewrites the cells it already wrote.
export const userImportsCassandra: CassandraProjection = {
  name: 'user-imports',
  tables: ['user_import_parts'],
  prepare: (db) => {
    const record = `INSERT INTO ${db.t('user_import_parts')}
      (import_id, first_line, lines_read, users_written, unchanged, errors, first_errors, recorded_at, started_at, position)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`;
    return {
      UsersImported: (e, at) => [
        {
          cql: record,
          params: [
            e.id,
            long(e.firstLine),
            long(e.linesRead),
            long(e.usersWritten),
            long(e.unchanged),
            long(e.errors),
            JSON.stringify(e.firstErrors),
            at.occurredAt,
            e.startedAt ?? null,
            long(at.position),
            firstWins(at.position),
          ],
          partition: `user_import_parts:${e.id}`,
        },
      ],
    };
  },
};

export const cassandraUserImportQueries = (
  db: CassandraDb,
): { userImport(id: string): Promise<UserImportView | undefined> } => {
  const parts = `SELECT lines_read, users_written, unchanged, errors, first_errors, recorded_at, started_at
    FROM ${db.t('user_import_parts')} WHERE import_id = ?`;
  return {
    userImport: async (id) =>
      sumParts(
        id,
        [...(await db.read(parts, [id]))].map((r) => ({
          linesRead: num(r.lines_read),
          usersWritten: num(r.users_written),
          unchanged: num(r.unchanged),
          errors: num(r.errors),
          // Rows were written from decoded events, so the stored JSON is a list of line errors by construction.
          firstErrors: JSON.parse(str(r.first_errors)) as ImportLineError[],
          recordedAt: str(r.recorded_at),
          ...(r.started_at === null || r.started_at === undefined ? {} : { startedAt: str(r.started_at) }),
        })),
      ),
  };
};
