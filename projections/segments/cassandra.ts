import type { SegmentView } from '../../ports/read-models.js';
import type { CassandraDb } from '../cassandra-db.js';
import { firstWins, long, str } from '../cassandra-db.js';
import type { CassandraProjection } from '../cassandra-projection.js';
import { clampLimit } from '../paging.js';
import { segmentOfRow } from './queries.js';

// Saved segments in one partition ('all'), clustered by id: segments are an admin's few
// (hundreds, not millions), and one partition lists them in id order. The earliest record
// wins (firstWins), as SQLite's position guard does.
const BUCKET = 'all';

export const segmentsCassandra: CassandraProjection = {
  name: 'segments',
  tables: ['segments'],
  prepare: (db) => {
    const record = `INSERT INTO ${db.t('segments')} (bucket, id, name, query, by_uid, defined_at, position)
      VALUES (?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`;
    return {
      SegmentDefined: (e, at) => [
        {
          cql: record,
          params: [
            BUCKET,
            e.id,
            e.name,
            JSON.stringify(e.query),
            e.by,
            at.occurredAt,
            long(at.position),
            firstWins(at.position),
          ],
          partition: `segments:${BUCKET}`,
        },
      ],
    };
  },
};

export const cassandraSegmentQueries = (
  db: CassandraDb,
): { segments(page: { after?: string; limit: number }): Promise<SegmentView[]> } => {
  const page = `SELECT id, name, query, by_uid, defined_at FROM ${db.t('segments')} WHERE bucket = ? AND id > ? LIMIT ?`;
  return {
    segments: async (p) =>
      [...(await db.read(page, [BUCKET, p.after ?? '', clampLimit(p.limit)]))].map((r) =>
        segmentOfRow({
          id: str(r.id),
          name: str(r.name),
          query: str(r.query),
          by: str(r.by_uid),
          definedAt: str(r.defined_at),
        }),
      ),
  };
};
