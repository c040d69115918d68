import Database from 'better-sqlite3';
import type { IdempotencyRecord, IdempotencyStore, StoredResponse } from '../../ports/idempotency.js';
import { useWal } from '../sqlite/wal.js';

// synchronous=NORMAL: a process crash keeps every committed record (WAL), only a power loss
// can drop the newest ones, and then the worst case is a retry that runs the command again
// with a fresh id. Paying an fsync per keyed request for that is not worth it.
interface Row {
  scope: string;
  request_hash: string;
  mid: string;
  created_at: number;
  owner: string | null;
  response: string | null;
}

export const createSqliteIdempotencyStore = (file: string): IdempotencyStore => {
  const db = new Database(file);
  useWal(db);
  db.pragma('synchronous = NORMAL');
  // Immediate: the HTTP threads open this file at once; they take turns adding the column.
  db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS idempotency (
      scope TEXT PRIMARY KEY, request_hash TEXT NOT NULL, mid TEXT NOT NULL,
      created_at INTEGER NOT NULL, response TEXT)`);
    db.exec('CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency(created_at)');
    // Files from before owners were recorded gain the column; their rows have none.
    const columns = db.prepare<[], { name: string }>('PRAGMA table_info(idempotency)').all();
    if (!columns.some((c) => c.name === 'owner')) db.exec('ALTER TABLE idempotency ADD COLUMN owner TEXT');
  }).immediate();
  const insert = db.prepare(
    'INSERT OR IGNORE INTO idempotency (scope, request_hash, mid, created_at, owner) VALUES (?, ?, ?, ?, ?)',
  );
  const select = db.prepare<[string], Row>(
    'SELECT scope, request_hash, mid, created_at, owner, response FROM idempotency WHERE scope = ?',
  );
  const update = db.prepare('UPDATE idempotency SET response = ? WHERE scope = ?');
  const del = db.prepare('DELETE FROM idempotency WHERE created_at < ?');

  const toRecord = (row: Row): IdempotencyRecord => ({
    scope: row.scope,
    requestHash: row.request_hash,
    mid: row.mid,
    createdAt: row.created_at,
    ...(row.owner !== null ? { owner: row.owner } : {}),
    ...(row.response !== null ? { response: JSON.parse(row.response) as StoredResponse } : {}),
  });

  return {
    reserve: (r) => {
      insert.run(r.scope, r.requestHash, r.mid, r.createdAt, r.owner ?? null);
      const row = select.get(r.scope);
      return Promise.resolve(row === undefined ? r : toRecord(row));
    },
    complete: (scope, response) => {
      update.run(JSON.stringify(response), scope);
      return Promise.resolve();
    },
    expire: (olderThan) => Promise.resolve(del.run(olderThan).changes),
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
};
