import { createHash } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { readModelTables } from './tables.js';

/**
 * sha256 over every read-model row (checkpoints excluded), each table in name order and its
 * rows ordered by all columns, so two databases built from the same log hash the same
 * however their events were batched or redelivered.
 */
export const checksum = (db: Database): string => {
  const hash = createHash('sha256');
  for (const table of [...readModelTables].sort()) {
    const cols = db
      .prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}') ORDER BY cid`)
      .all()
      .map((c) => c.name);
    hash.update(`table ${table} ${cols.join(',')}\n`);
    const rows = db
      .prepare(`SELECT * FROM ${table} ORDER BY ${cols.map((_, i) => String(i + 1)).join(', ')}`)
      .raw()
      .iterate();
    for (const row of rows) hash.update(`${JSON.stringify(row)}\n`);
  }
  return hash.digest('hex');
};
