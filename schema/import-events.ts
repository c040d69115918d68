import * as t from 'io-ts';
import { Count, LIMITS, Timestamp, boundedArray, boundedInt, boundedString } from './bounds.js';
import { MessageId, UserId } from './ids.js';

// ---- import-<id>: one part of a user import (POST /api/v2/users/import), recorded once its
// good lines are durable, so that every node can answer the import's progress from the log
// (projections/user-imports/). It holds no personal data and is not sealed (schema/personal.ts):
// counts, and line errors whose texts quote none of the line's values (api/routes/import.ts
// words them so); the users themselves are in their own streams. Who imported is the `by` and
// the metadata's actor, when is the metadata's `occurredAt`: auditors see every import.

/** Line errors one part keeps (as the whole import keeps: the first 100 by line). */
export const IMPORT_ERRORS_KEPT = 100;

export const ImportLineErrorC = t.type(
  {
    line: boundedInt(1, Number.MAX_SAFE_INTEGER, 'LineNumber'),
    field: boundedString(0, LIMITS.label),
    msg: boundedString(0, LIMITS.reason),
  },
  'ImportLineError',
);
export type ImportLineError = t.TypeOf<typeof ImportLineErrorC>;

export const UsersImported = t.type(
  {
    type: t.literal('UsersImported'),
    data: t.intersection([
      t.type({
        /** The import id: every part of one file shares it (`?id=`). */
        id: MessageId,
        /** The part's first line in the file (`?firstLine=`): a part is known by (id, firstLine). */
        firstLine: boundedInt(1, Number.MAX_SAFE_INTEGER, 'LineNumber'),
        linesRead: Count,
        usersWritten: Count,
        unchanged: Count,
        errors: Count,
        /** The part's first errors, in line order. */
        firstErrors: boundedArray(ImportLineErrorC, 0, IMPORT_ERRORS_KEPT),
        by: UserId,
      }),
      // When the part's first line was taken (the event is stamped when the part is recorded, after
      // its last line). Parts recorded before this field: their `occurredAt` was the part's start.
      t.partial({ startedAt: Timestamp }),
    ]),
  },
  'UsersImported',
);
export type UsersImported = t.TypeOf<typeof UsersImported>;
