import type { Database } from 'better-sqlite3';
import type { ImportLineError } from '../../schema/import-events.js';
import { IMPORT_ERRORS_KEPT } from '../../schema/import-events.js';
import type { UserImportView } from '../../ports/read-models.js';

/** One recorded part as both stores read it back. */
export interface ImportPartRow {
  readonly linesRead: number;
  readonly usersWritten: number;
  readonly unchanged: number;
  readonly errors: number;
  readonly firstErrors: readonly ImportLineError[];
  /** When the part was recorded (its event's occurredAt). */
  readonly recordedAt: string;
  /** When its first line was taken; absent in parts recorded before the event carried it (their occurredAt was the start). */
  readonly startedAt?: string;
}

/** The import's totals: its parts summed, the first errors in line order over all parts. */
export const sumParts = (id: string, parts: readonly ImportPartRow[]): UserImportView | undefined => {
  if (parts.length === 0) return undefined;
  const started = parts.map((p) => p.startedAt ?? p.recordedAt).sort();
  const recorded = parts.map((p) => p.recordedAt).sort();
  return {
    id,
    parts: parts.length,
    linesRead: parts.reduce((n, p) => n + p.linesRead, 0),
    usersWritten: parts.reduce((n, p) => n + p.usersWritten, 0),
    unchanged: parts.reduce((n, p) => n + p.unchanged, 0),
    errors: parts.reduce((n, p) => n + p.errors, 0),
    firstErrors: parts
      .flatMap((p) => p.firstErrors)
      .sort((a, b) => a.line - b.line)
      .slice(0, IMPORT_ERRORS_KEPT),
    startedAt: started[0] ?? '',
    updatedAt: recorded.at(-1) ?? '',
  };
};

interface Row {
  lines_read: number;
  users_written: number;
  unchanged: number;
  errors: number;
  first_errors: string;
  recorded_at: string;
  started_at: string | null;
}

export const userImportQueries = (db: Database): { userImport(id: string): UserImportView | undefined } => {
  const parts = db.prepare<[string], Row>(
    `SELECT lines_read, users_written, unchanged, errors, first_errors, recorded_at, started_at
     FROM user_import_parts WHERE import_id = ? ORDER BY first_line`,
  );
  return {
    // Rows were written from decoded events, so the stored JSON is a list of line errors by construction.
    userImport: (id) =>
      sumParts(
        id,
        parts.all(id).map((r) => ({
          linesRead: r.lines_read,
          usersWritten: r.users_written,
          unchanged: r.unchanged,
          errors: r.errors,
          firstErrors: JSON.parse(r.first_errors) as ImportLineError[],
          recordedAt: r.recorded_at,
          ...(r.started_at === null ? {} : { startedAt: r.started_at }),
        })),
      ),
  };
};
