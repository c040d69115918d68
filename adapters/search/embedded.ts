import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { deliveryFromRow, messageFromRow } from './embedded-rows.js';
import type { DeliveryRow, MessageRow } from './embedded-rows.js';
import { embeddedQueries } from './embedded-query.js';
import { dropSearchTables, ensureSearchTables } from './embedded-tables.js';
import { embeddedWriter } from './embedded-write.js';
import type { SearchIndex } from '../../ports/search.js';

// The embedded search store: SQLite with an FTS5 table for text, one file (`search.db` in
// the data directory) or a connection the caller owns. better-sqlite3 is synchronous; the
// port is async for the networked engines.

export interface EmbeddedSearchOptions {
  /** A file to open (and close on `close()`), or an open connection that stays the caller's. */
  readonly file?: string;
  readonly db?: Database;
}

export const openSearchDb = (file: string): Database => {
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  // A lost tail after power loss takes its checkpoint with it: the projection re-applies it.
  db.pragma('synchronous = NORMAL');
  return db;
};

const later = <T>(f: () => T): Promise<T> => {
  try {
    return Promise.resolve(f());
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
};

const byKey = (db: Database, table: string, key: string, ids: readonly string[]) =>
  // json_each keeps it one statement whatever the number of ids.
  db
    .prepare<[string], MessageRow & DeliveryRow>(
      `SELECT * FROM ${table} WHERE ${key} IN (SELECT value FROM json_each(?))`,
    )
    .all(JSON.stringify(ids));

export const createEmbeddedSearchIndex = (options: EmbeddedSearchOptions): SearchIndex => {
  const owned = options.db === undefined;
  const db = options.db ?? openSearchDb(options.file ?? ':memory:');
  ensureSearchTables(db);
  // Statements are bound to tables that reset() drops, so both are re-prepared after it.
  let write = embeddedWriter(db);
  let queries = embeddedQueries(db);
  const checkpoint = db.prepare<[string], { position: number }>(
    'SELECT position FROM search_checkpoints WHERE name = ?',
  );
  let readCheckpoint = (name: string): number => checkpoint.get(name)?.position ?? 0;

  return {
    write: (ops, cp) =>
      later(() => {
        write(ops, cp);
      }),
    checkpoint: (name) => later(() => readCheckpoint(name)),
    messages: (mids) =>
      later(() => new Map(byKey(db, 'search_messages', 'mid', mids).map((r) => [r.mid, messageFromRow(r)]))),
    deliveries: (ids) =>
      later(() => new Map(byKey(db, 'search_deliveries', 'id', ids).map((r) => [r.id, deliveryFromRow(r)]))),
    refresh: () => Promise.resolve(),
    reset: () =>
      later(() => {
        dropSearchTables(db);
        write = embeddedWriter(db);
        queries = embeddedQueries(db);
        const again = db.prepare<[string], { position: number }>(
          'SELECT position FROM search_checkpoints WHERE name = ?',
        );
        readCheckpoint = (name) => again.get(name)?.position ?? 0;
      }),
    searchMessages: (q) => queries.searchMessages(q),
    terms: (q) => queries.terms(q),
    histogram: (q) => queries.histogram(q),
    documents: (index, page) => queries.documents(index, page),
    close: () =>
      later(() => {
        if (owned) db.close();
      }),
  };
};
