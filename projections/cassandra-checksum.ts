import { createHash } from 'node:crypto';
import { types } from 'cassandra-driver';
import type { CassandraDb } from './cassandra-db.js';
import { CL } from './cassandra-db.js';
import { cassandraReadModelTables } from './cassandra-tables.js';

// sha256 over every read-model row (checkpoints excluded), tables in name order, each
// table's rows read in full and sorted in the client: token order differs between clusters,
// so two keyspaces built from the same log hash the same only if the order is ours. O(rows):
// for tests and operators comparing a replay, not for the request path.

const normal = (v: unknown): unknown => {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof types.Long) return v.toString();
  if (Array.isArray(v)) return v.map(normal);
  return v ?? null;
};

const tableRows = async (db: CassandraDb, table: string): Promise<{ columns: string[]; rows: string[] }> => {
  const rs = await db.client.execute(`SELECT * FROM ${db.t(table)}`, [], {
    prepare: true,
    fetchSize: 1_000,
    consistency: CL.read,
  });
  const columns = rs.columns.map((c) => c.name);
  const rows: string[] = [];
  // The result set pages on as it is iterated.
  for await (const r of rs) rows.push(JSON.stringify(columns.map((c) => normal(r.get(c) as unknown))));
  return { columns, rows: rows.sort() };
};

export const cassandraChecksum = async (
  db: CassandraDb,
  tables: readonly string[] = cassandraReadModelTables,
): Promise<string> => {
  const hash = createHash('sha256');
  for (const table of [...tables].sort()) {
    const { columns, rows } = await tableRows(db, table);
    hash.update(`table ${table} ${columns.join(',')}\n`);
    for (const row of rows) hash.update(`${row}\n`);
  }
  return hash.digest('hex');
};

/** Rows per read-model table (a full scan each): for tests and operators. */
export const cassandraRowCounts = async (
  db: CassandraDb,
  tables: readonly string[] = cassandraReadModelTables,
): Promise<Record<string, number>> => {
  const out: Record<string, number> = {};
  for (const table of tables) out[table] = (await tableRows(db, table)).rows.length;
  return out;
};
