import type { Database } from 'better-sqlite3';
import { clearCheckpoints } from '../checkpoint/sqlite.js';
import type { SqliteCheckpoints } from '../checkpoint/sqlite.js';
import { openProjectionDb, sqliteGenerations } from '../checkpoint/sqlite-generations.js';
import type { SqliteGeneration } from '../checkpoint/sqlite-generations.js';
import { deliveryFromRow, messageFromRow } from './embedded-rows.js';
import type { DeliveryRow, MessageRow } from './embedded-rows.js';
import { embeddedQueries } from './embedded-query.js';
import { dropSearchTables, ensureSearchTables } from './embedded-tables.js';
import { embeddedWriter } from './embedded-write.js';
import { embeddedLiveReads } from './embedded-live.js';
import { userQueries } from './embedded-users.js';
import type { SearchIndex, SearchQueries, SearchWriter } from '../../ports/search.js';

// The embedded search store: SQLite with an FTS5 table for text, one file per generation
// (`search.db`, then `search.g<N>.db`, the live one named in `search.db.live`). better-sqlite3
// is synchronous; the port is async for the networked engines.

export interface EmbeddedSearchOptions {
  /** The first generation's file (`<data dir>/search.db`); later generations are files beside it. */
  readonly file: string;
}

/** Opens a search file as a query connection would (the tests' and tools' way in). */
export const openSearchDb = (file: string): Database => {
  const db = openProjectionDb(file);
  ensureSearchTables(db);
  return db;
};

const later = <T>(f: () => T): Promise<T> => {
  try {
    return Promise.resolve(f());
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
};

// The rows of the given ids; json_each keeps it one statement whatever the number of ids.
// Prepared once per generation store (and again after a reset): the search projection asks
// for a batch's messages on every write, and preparing the statement each time was a tenth of
// the worker's SQLite time under sends (issue 15).
const byKey = (db: Database, table: string, key: string) => {
  const select = db.prepare<[string], MessageRow & DeliveryRow>(
    `SELECT * FROM ${table} WHERE ${key} IN (SELECT value FROM json_each(?))`,
  );
  return (ids: readonly string[]) => select.all(JSON.stringify(ids));
};
const byKeys = (db: Database) => ({
  messages: byKey(db, 'search_messages', 'mid'),
  deliveries: byKey(db, 'search_deliveries', 'id'),
});

type Store = SearchWriter & SearchQueries;

/** One generation's file as the port's writer and queries. */
const generationStore = (db: Database, checkpoints: SqliteCheckpoints): Store => {
  ensureSearchTables(db);
  // Statements are bound to tables that reset() drops, so both are re-prepared after it.
  let write = embeddedWriter(db, (name, position) => {
    checkpoints.saveNow(name, position);
  });
  let queries = embeddedQueries(db);
  let live = embeddedLiveReads(db);
  let rows = byKeys(db);
  return {
    write: (ops, cp) =>
      later(() => {
        write(ops, cp);
      }),
    checkpoint: (name) => checkpoints.read(name),
    messages: (mids) => later(() => new Map(rows.messages(mids).map((r) => [r.mid, messageFromRow(r)]))),
    deliveries: (ids) => later(() => new Map(rows.deliveries(ids).map((r) => [r.id, deliveryFromRow(r)]))),
    users: (uids) => later(() => userQueries(db).users(uids)),
    liveUids: (mids) => later(() => live.liveUids(mids)),
    setMembers: (mid, sets) => later(() => live.setMembers(mid, sets)),
    addressed: (pairs) => later(() => live.addressed(pairs)),
    heldReceipts: (mids) => later(() => live.heldReceipts(mids)),
    refresh: () => Promise.resolve(),
    reset: () =>
      later(() => {
        dropSearchTables(db);
        clearCheckpoints(db);
        write = embeddedWriter(db, (name, position) => {
          checkpoints.saveNow(name, position);
        });
        queries = embeddedQueries(db);
        live = embeddedLiveReads(db);
        rows = byKeys(db);
      }),
    searchMessages: (q) => queries.searchMessages(q),
    terms: (q) => queries.terms(q),
    histogram: (q) => queries.histogram(q),
    funnel: (f) => queries.funnel(f),
    variantFunnel: (mid) => queries.variantFunnel(mid),
    documents: (index, page) => queries.documents(index, page),
    onlineTime: (q) => queries.onlineTime(q),
    countUsers: (q) => queries.countUsers(q),
    selectUsers: (q, page) => queries.selectUsers(q, page),
  };
};

export const createEmbeddedSearchIndex = (options: EmbeddedSearchOptions): SearchIndex => {
  const generations = sqliteGenerations<Store>({
    base: options.file,
    prepare: (db, checkpoints) => ({ store: generationStore(db, checkpoints), fresh: false }),
    onLive: (g) => () => {
      live = g;
    },
  });
  let live: SqliteGeneration<Store> = generations.liveNow();
  return {
    generations,
    write: (ops, cp) => live.store.write(ops, cp),
    checkpoint: (name) => live.store.checkpoint(name),
    messages: (mids) => live.store.messages(mids),
    deliveries: (ids) => live.store.deliveries(ids),
    users: (uids) => live.store.users(uids),
    liveUids: (mids) => live.store.liveUids(mids),
    setMembers: (mid, sets) => live.store.setMembers(mid, sets),
    addressed: (pairs) => live.store.addressed(pairs),
    heldReceipts: (mids) => live.store.heldReceipts(mids),
    refresh: () => Promise.resolve(),
    reset: () => live.store.reset(),
    searchMessages: (q) => live.store.searchMessages(q),
    terms: (q) => live.store.terms(q),
    histogram: (q) => live.store.histogram(q),
    funnel: (f) => live.store.funnel(f),
    variantFunnel: (mid) => live.store.variantFunnel(mid),
    documents: (index, page) => live.store.documents(index, page),
    onlineTime: (q) => live.store.onlineTime(q),
    countUsers: (q) => live.store.countUsers(q),
    selectUsers: (q, page) => live.store.selectUsers(q, page),
    close: () =>
      later(() => {
        generations.close();
      }),
  };
};
