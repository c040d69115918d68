import type { Database } from 'better-sqlite3';
import type { CheckpointStore, DeadLetter, Progress } from '../../ports/follower.js';

// The follower's checkpoints and dead letters in a SQLite file: two tables in the same file
// as the data the follower writes, so a synchronous batch and its checkpoint commit in one
// transaction and apply exactly once. Every SQLite follower (read models, search, delivery)
// uses these two tables; older files' `projection_checkpoints` / `search_checkpoints` /
// `reactor_checkpoints` (delivery's reactors.db) rows are adopted once, then those tables dropped.

const DDL = [
  'CREATE TABLE IF NOT EXISTS follower_checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL) WITHOUT ROWID',
  `CREATE TABLE IF NOT EXISTS follower_dead_letters (
     follower TEXT NOT NULL, position INTEGER NOT NULL, stream TEXT NOT NULL, type TEXT NOT NULL,
     reason TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (follower, position)
   ) WITHOUT ROWID`,
];
const LEGACY = ['projection_checkpoints', 'search_checkpoints', 'reactor_checkpoints'];
/** At most this many dead letters are listed (they are rare: the write side refuses what the read side cannot decode). */
export const DEAD_LETTERS_MAX = 10_000;

const isThenable = (x: unknown): x is PromiseLike<unknown> =>
  typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';

export const ensureCheckpointTables = (db: Database): void => {
  db.transaction(() => {
    for (const sql of DDL) db.prepare(sql).run();
    for (const table of LEGACY) {
      const there = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table);
      if (there === undefined) continue;
      db.prepare(
        `INSERT OR IGNORE INTO follower_checkpoints (name, position) SELECT name, position FROM ${table}`,
      ).run();
      db.prepare(`DROP TABLE ${table}`).run();
    }
    // Immediate: a second thread opening the same file waits for the lock instead of failing
    // to upgrade its read of sqlite_master to a write.
  }).immediate();
};

/** Forgets every checkpoint and dead letter of the file (its data was recreated empty). */
export const clearCheckpoints = (db: Database): void => {
  db.transaction(() => {
    db.prepare('DELETE FROM follower_checkpoints').run();
    db.prepare('DELETE FROM follower_dead_letters').run();
  })();
};

export interface SqliteCheckpoints extends CheckpointStore {
  /** Stores a position inside a transaction the caller runs (e.g. a batch of search writes). */
  saveNow(follower: string, position: number): void;
}

export const createSqliteCheckpoints = (db: Database): SqliteCheckpoints => {
  ensureCheckpointTables(db);
  const get = db.prepare<[string], { position: number }>('SELECT position FROM follower_checkpoints WHERE name = ?');
  const put = db.prepare<[string, number]>(
    'INSERT INTO follower_checkpoints (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position',
  );
  const quarantine = db.prepare<DeadLetter>(
    `INSERT OR REPLACE INTO follower_dead_letters (follower, position, stream, type, reason, at)
     VALUES (@follower, @position, @stream, @type, @reason, @at)`,
  );
  const all = db.prepare<[number], DeadLetter>(
    'SELECT follower, position, stream, type, reason, at FROM follower_dead_letters ORDER BY follower, position LIMIT ?',
  );
  const one = db.prepare<[string, number], DeadLetter>(
    'SELECT follower, position, stream, type, reason, at FROM follower_dead_letters WHERE follower = ? ORDER BY position LIMIT ?',
  );
  const save = (name: string, p: Progress): void => {
    put.run(name, p.position);
    for (const d of p.deadLetters) quarantine.run(d);
  };
  // A promise cannot finish inside a transaction: its synchronous part commits here, and the
  // position after it resolved, in a second transaction (at-least-once, as the other engines).
  const run = db.transaction(
    (name: string, work: () => unknown): { pending: PromiseLike<unknown> } | { done: unknown } => {
      const r = work();
      if (isThenable(r)) return { pending: r };
      save(name, r as Progress);
      return { done: r };
    },
  );
  const saveTx = db.transaction(save);
  return {
    read: (name) => Promise.resolve(get.get(name)?.position ?? 0),
    commit: async <R extends Progress>(name: string, work: () => R | Promise<R>): Promise<R> => {
      const r = run(name, work);
      if ('done' in r) return r.done as R;
      const done = (await r.pending) as R;
      // Work that stored its own position with its data (delivery's state batches) leaves
      // nothing to write: a read instead of a second write transaction per batch.
      if (done.deadLetters.length > 0 || get.get(name)?.position !== done.position) saveTx(name, done);
      return done;
    },
    write: (name, position) => {
      put.run(name, position);
      return Promise.resolve();
    },
    deadLetters: (follower) =>
      Promise.resolve(follower === undefined ? all.all(DEAD_LETTERS_MAX) : one.all(follower, DEAD_LETTERS_MAX)),
    saveNow: (name, position) => {
      put.run(name, position);
    },
  };
};
