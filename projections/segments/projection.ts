import type { SqliteProjection } from '../projection.js';

// Saved segments (SegmentDefined), one row per segment id, so an admin can list them (the
// segment itself is read from its stream, segment-<id>). A segment is defined once; a
// redelivery or a replay writes the same row, the earliest record winning.
const ddl = [
  `CREATE TABLE IF NOT EXISTS segments (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     query TEXT NOT NULL,
     by_uid TEXT NOT NULL,
     defined_at TEXT NOT NULL,
     position INTEGER NOT NULL
   ) WITHOUT ROWID`,
];

export const segmentsProjection: SqliteProjection = {
  name: 'segments',
  tables: ['segments'],
  ddl,
  prepare: (db) => {
    const record = db.prepare<[string, string, string, string, string, number]>(
      `INSERT INTO segments (id, name, query, by_uid, defined_at, position) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET
         name = excluded.name, query = excluded.query, by_uid = excluded.by_uid,
         defined_at = excluded.defined_at, position = excluded.position
       WHERE excluded.position < position`,
    );
    return {
      SegmentDefined: (e, at) => {
        record.run(e.id, e.name, JSON.stringify(e.query), e.by, at.occurredAt, at.position);
      },
    };
  },
};
