import type { CassandraDb } from './cassandra-db.js';
import { long } from './cassandra-db.js';
import type { IndexRow } from './messages/cassandra-row.js';
import { INDEX_COLUMNS, toIndexRow } from './messages/cassandra-row.js';
import { encodeCursor } from './paging.js';
import type { Bound } from './paging.js';
import type { Page } from '../ports/read-models.js';

// Reading an index partition (messages_by_thread, inbox_direct, broadcasts) newest first
// below a page bound, in clustering order, each read with a LIMIT. A filter that needs the
// row (withdrawn, period, deleted, unseen) runs after the read, so a scan reads on in
// growing chunks until it has `want` rows that pass or the partition ends: the top rows of
// each source, merged, are then exactly the top rows of the whole inbox.

const MAX_CHUNK = 500;

/** Reads at most `limit` rows of one partition with (eff, mid) < bound, newest first. */
export type Slice = (bound: Bound, limit: number) => Promise<IndexRow[]>;

export const scan = async <R>(
  slice: Slice,
  bound: Bound,
  want: number,
  keep: (rows: IndexRow[]) => R[] | Promise<R[]>,
): Promise<R[]> => {
  const out: R[] = [];
  let below = bound;
  let chunk = Math.min(MAX_CHUNK, want);
  for (;;) {
    const rows = await slice(below, chunk);
    out.push(...(await keep(rows)));
    const last = rows[rows.length - 1];
    if (out.length >= want || rows.length < chunk || last === undefined) return out.slice(0, want);
    below = { eff: last.eff, mid: last.mid };
    chunk = Math.min(MAX_CHUNK, chunk * 4);
  }
};

/** `table` partitioned by `key` and clustered by (eff DESC, mid DESC), as an index slice. */
export const indexSlice = (
  db: CassandraDb,
  table: string,
  key: string,
  value: string | number,
  tid?: string,
): Slice => {
  const cql = `SELECT ${INDEX_COLUMNS} FROM ${db.t(table)} WHERE ${key} = ? AND (eff, mid) < (?, ?) LIMIT ?`;
  return async (b, limit) => (await db.read(cql, [value, long(b.eff), b.mid, limit])).map((r) => toIndexRow(r, tid));
};

/** A scan over several partitions of one index, newest partition first (broadcast month buckets). */
export const scanPartitions = async <R>(
  slices: readonly Slice[],
  bound: Bound,
  want: number,
  keep: (rows: IndexRow[]) => R[] | Promise<R[]>,
): Promise<R[]> => {
  const out: R[] = [];
  for (const slice of slices) {
    if (out.length >= want) break;
    out.push(...(await scan(slice, bound, want - out.length, keep)));
  }
  return out;
};

/** The first `limit` of `rows` (already newest first, one extra read ahead) as a page with its cursor. */
export const toPage = <R extends Bound, T>(rows: readonly R[], limit: number, item: (r: R) => T): Page<T> => {
  const last = rows[limit - 1];
  return {
    messages: rows.slice(0, limit).map(item),
    next: rows.length > limit && last !== undefined ? encodeCursor(last) : null,
  };
};
