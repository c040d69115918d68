import { closeSync, fsyncSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import type { Generation, Generations } from '../../ports/follower.js';
import { clearCheckpoints, createSqliteCheckpoints } from './sqlite.js';
import type { SqliteCheckpoints } from './sqlite.js';
import { useWal } from '../sqlite/wal.js';
import { secureDelete, truncateWal } from '../sqlite/erasure.js';

// Generations of a SQLite projection as files beside each other: the first is the base file
// (`read.db`), later ones `read.g<N>.db`; `read.db.live` names the live one. Promoting writes
// that name with a rename (atomic on POSIX), so a process that starts, or a reader that
// reopens, finds exactly one live generation. Files of abandoned generations (a crash during
// a rebuild) are removed when the live one is opened.

export interface SqliteGeneration<S> extends Generation<S> {
  readonly file: string;
  readonly db: Database;
}

export interface SqliteGenerationsOptions<S> {
  /** The first generation's file, e.g. `<data dir>/read.db`. */
  readonly base: string;
  /**
   * Prepares an opened file (schema) and returns what the projection writes to; `fresh`
   * when the storage was (re)created empty, so its checkpoints are forgotten too.
   */
  readonly prepare: (db: Database, checkpoints: SqliteCheckpoints) => { readonly store: S; readonly fresh: boolean };
  /**
   * Readers get ready for a generation about to go live (a throw stops the promotion, nothing
   * changed) and return the switch, run right after the pointer moved and before the previous
   * generation is closed.
   */
  readonly onLive?: (g: SqliteGeneration<S>, previous: SqliteGeneration<S>) => () => void;
  /**
   * Remove the previous generation's files once promoted (default true). False when another
   * thread still reads them: it removes them (removeGenerationFiles) after it switched.
   */
  readonly retire?: boolean;
}

const pointerOf = (base: string): string => `${base}.live`;
const stemOf = (base: string): { dir: string; stem: string; ext: string } => {
  const ext = extname(base);
  return { dir: dirname(base), stem: basename(base, ext), ext };
};
const numbered = (base: string): RegExp => {
  const { stem, ext } = stemOf(base);
  const q = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${q(stem)}\\.g(\\d{1,9})${q(ext)}$`);
};
export const generationFile = (base: string, n: number): string => {
  const { dir, stem, ext } = stemOf(base);
  return n === 0 ? base : join(dir, `${stem}.g${n}${ext}`);
};
const numberOf = (base: string, file: string): number =>
  file === base ? 0 : Number(numbered(base).exec(basename(file))?.[1] ?? Number.NaN);

/** The live generation's file: the one `<base>.live` names, else the base file itself. */
export const liveFile = (base: string): string => {
  try {
    const name = readFileSync(pointerOf(base), 'utf8').trim();
    if (name === basename(base) || numbered(base).test(name)) return join(dirname(base), name);
  } catch {
    // no pointer yet: the first generation
  }
  return base;
};

export const removeGenerationFiles = (file: string): void => {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${file}${suffix}`, { force: true });
};

const writePointer = (base: string, file: string): void => {
  const tmp = `${pointerOf(base)}.tmp`;
  writeFileSync(tmp, `${basename(file)}\n`);
  const fd = openSync(tmp, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, pointerOf(base));
  const dir = openSync(dirname(base), 'r');
  fsyncSync(dir);
  closeSync(dir);
};

const later = <T>(f: () => T): Promise<T> => {
  try {
    return Promise.resolve(f());
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
};

/**
 * Opens a projection file: WAL, and NORMAL sync (a lost tail takes its checkpoint with it);
 * `secure_delete = ON` for GDPR erasure (adapters/sqlite/erasure.ts).
 */
export const openProjectionDb = (file: string): Database => {
  const db = new BetterSqlite3(file);
  useWal(db);
  db.pragma('synchronous = NORMAL');
  db.pragma('temp_store = MEMORY');
  secureDelete(db);
  return db;
};

export interface SqliteGenerations<S> extends Generations<S> {
  /** The live generation, opened now (SQLite opens synchronously). */
  liveNow(): SqliteGeneration<S>;
  /** Closes the live generation's connection. */
  close(): void;
}

export const sqliteGenerations = <S>(o: SqliteGenerationsOptions<S>): SqliteGenerations<S> => {
  const { base } = o;
  let live: SqliteGeneration<S> | undefined;
  const open = (file: string): SqliteGeneration<S> => {
    const db = openProjectionDb(file);
    try {
      const checkpoints = createSqliteCheckpoints(db);
      const { store, fresh } = o.prepare(db, checkpoints);
      if (fresh) clearCheckpoints(db);
      // A process that stopped after an erasure committed and before its WAL was truncated
      // (readers in the way, adapters/sqlite/erasure.ts) left the old pages in it: truncated
      // now, by the writer (the query threads' connections do not wait for it).
      truncateWal(db);
      return { id: basename(file), file, db, checkpoints, store };
    } catch (e) {
      db.close();
      throw e;
    }
  };
  const others = (keep: string): string[] =>
    readdirSync(dirname(base))
      .filter((f) => numbered(base).test(f) || f === basename(base))
      .map((f) => join(dirname(base), f))
      .filter((f) => f !== keep);
  const drop = (g: SqliteGeneration<S>, remove: boolean): void => {
    g.db.close();
    if (remove) removeGenerationFiles(g.file);
  };
  const liveNow = (): SqliteGeneration<S> => {
    if (live === undefined) {
      const file = liveFile(base);
      for (const f of others(file)) removeGenerationFiles(f);
      live = open(file);
    }
    return live;
  };
  return {
    liveNow,
    live: () => later(liveNow),
    create: () =>
      later(() => {
        const taken = [liveFile(base), ...others('')].map((f) => numberOf(base, f)).filter((n) => !Number.isNaN(n));
        const file = generationFile(base, Math.max(0, ...taken) + 1);
        removeGenerationFiles(file);
        return open(file);
      }),
    promote: (next) =>
      later(() => {
        const previous = live;
        const g = next as SqliteGeneration<S>;
        const swap = previous === undefined ? undefined : o.onLive?.(g, previous);
        writePointer(base, g.file); // the commit point: from here on `g` is the live generation
        live = g;
        swap?.();
        if (previous === undefined) return;
        try {
          drop(previous, o.retire ?? true);
        } catch {
          // a file left behind is removed when the live generation is next opened
        }
      }),
    discard: (g) =>
      later(() => {
        drop(g as SqliteGeneration<S>, true);
      }),
    close: () => {
      live?.db.close();
      live = undefined;
    },
  };
};
