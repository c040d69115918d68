import type { Database } from 'better-sqlite3';
import type { SegmentView } from '../../ports/read-models.js';
import type { SegmentQuery } from '../../schema/segment-query.js';
import { clampLimit } from '../paging.js';

interface Row {
  id: string;
  name: string;
  query: string;
  by_uid: string;
  defined_at: string;
}

// Rows were written from decoded events: the stored query is a segment query by construction.
export const segmentOfRow = (r: {
  id: string;
  name: string;
  query: string;
  by: string;
  definedAt: string;
}): SegmentView => ({
  id: r.id,
  name: r.name,
  query: JSON.parse(r.query) as SegmentQuery,
  by: r.by,
  definedAt: r.definedAt,
});

export const segmentQueries = (db: Database): { segments(page: { after?: string; limit: number }): SegmentView[] } => {
  const page = db.prepare<{ after: string; limit: number }, Row>(
    'SELECT id, name, query, by_uid, defined_at FROM segments WHERE id > @after ORDER BY id LIMIT @limit',
  );
  return {
    segments: (p) =>
      page
        .all({ after: p.after ?? '', limit: clampLimit(p.limit) })
        .map((r) => segmentOfRow({ id: r.id, name: r.name, query: r.query, by: r.by_uid, definedAt: r.defined_at })),
  };
};
