import type { ImportLineError } from '../../schema/import-events.js';
import { IMPORT_ERRORS_KEPT } from '../../schema/import-events.js';
import { LIMITS } from '../../schema/bounds.js';
import type { UserImportView } from '../../ports/read-models.js';

// The parts of user imports running in this process, by import id: their live counts until
// each part is recorded in the log (UsersImported), from where every node and thread answers
// for it (projections/user-imports/). Only a running part lives here, so the map is bounded
// by the requests in flight.

export type { ImportLineError } from '../../schema/import-events.js';

export interface PartProgress {
  readonly firstLine: number;
  linesRead: number;
  usersWritten: number;
  unchanged: number;
  errors: number;
  /** The part's first errors by line (at most 100), each naming its line and field. */
  readonly firstErrors: ImportLineError[];
  readonly startedAt: string;
  updatedAt: string;
}

export const createRunningImports = () => {
  const running = new Map<string, Set<PartProgress>>();
  return {
    start: (id: string, firstLine: number, now: Date): PartProgress => {
      const at = now.toISOString();
      const p: PartProgress = {
        firstLine,
        linesRead: 0,
        usersWritten: 0,
        unchanged: 0,
        errors: 0,
        firstErrors: [],
        startedAt: at,
        updatedAt: at,
      };
      running.set(id, (running.get(id) ?? new Set()).add(p));
      return p;
    },
    finish: (id: string, p: PartProgress): void => {
      const parts = running.get(id);
      parts?.delete(p);
      if (parts?.size === 0) running.delete(id);
    },
    parts: (id: string): readonly PartProgress[] => [...(running.get(id) ?? [])],
  };
};
export type RunningImports = ReturnType<typeof createRunningImports>;

/** Counts the error; keeps the lowest lines (lines finish out of order, CONCURRENCY at a time). */
export const addError = (p: PartProgress, e: ImportLineError): void => {
  p.errors += 1;
  // Within the record's bounds (schema/import-events.ts), so a long text cannot cost the part its record.
  p.firstErrors.push({ line: e.line, field: e.field.slice(0, LIMITS.label), msg: e.msg.slice(0, LIMITS.reason) });
  if (p.firstErrors.length > IMPORT_ERRORS_KEPT) {
    p.firstErrors.sort((a, b) => a.line - b.line);
    p.firstErrors.pop();
  }
};

const byLine = (a: ImportLineError, b: ImportLineError): number => a.line - b.line;

/**
 * What an answer says about an import: its recorded parts (every node's), plus the parts still
 * running in this process when asked for (`live`); undefined when neither knows it. `done`:
 * no part of it runs here (another node's running part shows once it is recorded).
 */
export const importAnswer = (id: string, recorded: UserImportView | undefined, live: readonly PartProgress[]) => {
  if (recorded === undefined && live.length === 0) return undefined;
  const sum = (k: 'linesRead' | 'usersWritten' | 'unchanged' | 'errors'): number =>
    (recorded?.[k] ?? 0) + live.reduce((n, p) => n + p[k], 0);
  const times = [
    ...(recorded === undefined ? [] : [recorded.startedAt, recorded.updatedAt]),
    ...live.flatMap((p) => [p.startedAt, p.updatedAt]),
  ].sort();
  return {
    id,
    linesRead: sum('linesRead'),
    usersWritten: sum('usersWritten'),
    unchanged: sum('unchanged'),
    errors: sum('errors'),
    firstErrors: [...(recorded?.firstErrors ?? []), ...live.flatMap((p) => p.firstErrors)]
      .sort(byLine)
      .slice(0, IMPORT_ERRORS_KEPT),
    done: live.length === 0,
    startedAt: times[0] ?? '',
    updatedAt: times.at(-1) ?? '',
  };
};

/** A line error as the log may hold it: JSON.parse quotes the line (personal data), so only its wording before the quote is kept. */
export const jsonErrorText = (detail: string): string => {
  const quote = detail.indexOf('"');
  const kept = (quote === -1 ? detail : detail.slice(0, quote)).replace(/[\s,]+$/, '');
  return kept === '' ? 'not JSON' : `not JSON: ${kept}`;
};

// An unknown field is named by the line's own key: kept when it reads as a field name, so the
// record names no value (a key that is an address or a sentence is not a field name).
const FIELD_NAME = /^[A-Za-z0-9_.[\]-]{0,64}$/;
export const fieldName = (field: string): string => (FIELD_NAME.test(field) ? field : '(unknown field)');
