import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { DataKey, KeyStore } from '../../ports/keystore.js';
import { openKeyWriter, type KeyRow, type KeyWriterReply } from './sqlite-key-writer.js';
import { useWal } from '../sqlite/wal.js';

// Data keys in a SQLite file of the data directory (keys.db). secure_delete overwrites a
// destroyed key's bytes in the file, and the WAL is truncated after each destroy so no copy
// of the key stays in it; copies made before (backups of the data directory) are another
// matter (docs/gdpr.md). Several connections (the node and its projection worker) may share
// the file: a key is created under an immediate transaction, so one owner gets one key.

export interface SqliteKeyStoreOptions {
  /**
   * Where new keys are committed: 'thread' (the node's store) in a worker thread of its own, so
   * the fsync of a burst of new people's keys never blocks the event loop; 'loop' (default: the
   * projection workers, which only read keys) synchronously on the caller's thread.
   */
  readonly writer?: 'thread' | 'loop';
}

type Waiter = { resolve: (k: DataKey) => void; reject: (e: unknown) => void };

export const createSqliteKeyStore = (file: string, options: SqliteKeyStoreOptions = {}): KeyStore => {
  const db = new Database(file);
  useWal(db);
  db.pragma('secure_delete = ON');
  db.pragma('busy_timeout = 5000');
  db.exec(`CREATE TABLE IF NOT EXISTS data_keys (
    owner TEXT NOT NULL, kid TEXT NOT NULL, key BLOB NOT NULL, created_at TEXT NOT NULL,
    PRIMARY KEY (owner, kid)) WITHOUT ROWID`);
  const current = db.prepare<[string], KeyRow>('SELECT kid, key FROM data_keys WHERE owner = ? LIMIT 1');
  const one = db.prepare<[string, string], KeyRow>('SELECT kid, key FROM data_keys WHERE owner = ? AND kid = ?');
  const remove = db.prepare<[string]>('DELETE FROM data_keys WHERE owner = ?');
  const createAll = options.writer === 'thread' ? threadWriter(file) : loopWriter(file);
  const asKey = (row: KeyRow): DataKey => ({ kid: row.kid, key: new Uint8Array(row.key) });
  // Keys are created in batches: every owner asked for in one turn of the event loop gets its
  // key in one transaction, so a burst of sends to new people costs one fsync, not one each.
  // An owner asked for again while its batch is being committed joins that batch's answer.
  const waiting = new Map<string, Waiter[]>();
  const committing = new Map<string, Waiter[]>();
  const createWaiting = (): Promise<void> => {
    const batch = [...waiting];
    waiting.clear();
    for (const [owner, ws] of batch) committing.set(owner, ws);
    const settle = (each: (ws: Waiter[], i: number) => void): void => {
      batch.forEach(([owner], i) => {
        const ws = committing.get(owner);
        committing.delete(owner);
        if (ws !== undefined) each(ws, i);
      });
    };
    return createAll.create(batch.map(([owner]) => owner)).then(
      (rows) => {
        settle((ws, i) => {
          const row = rows[i];
          if (row !== undefined) for (const w of ws) w.resolve(asKey(row));
        });
      },
      (e: unknown) => {
        settle((ws) => {
          for (const w of ws) w.reject(e);
        });
      },
    );
  };
  let flushing: Promise<void> = Promise.resolve();

  return {
    keyFor: (owner) => {
      const row = current.get(owner);
      if (row !== undefined) return Promise.resolve(asKey(row));
      return new Promise<DataKey>((resolve, reject) => {
        const joined = committing.get(owner) ?? waiting.get(owner);
        if (joined !== undefined) {
          joined.push({ resolve, reject });
          return;
        }
        if (waiting.size === 0)
          setImmediate(() => {
            flushing = createWaiting();
          });
        waiting.set(owner, [{ resolve, reject }]);
      });
    },
    find: (owner, kid) => {
      const row = one.get(owner, kid);
      return Promise.resolve(row === undefined ? undefined : new Uint8Array(row.key));
    },
    destroy: (owner) => {
      const n = remove.run(owner).changes;
      if (n > 0) db.pragma('wal_checkpoint(TRUNCATE)');
      return Promise.resolve(n);
    },
    close: async () => {
      if (waiting.size > 0) flushing = createWaiting();
      await flushing;
      await createAll.close();
      db.close();
    },
  };
};

interface Writer {
  create(owners: readonly string[]): Promise<readonly KeyRow[]>;
  close(): Promise<void>;
}

const loopWriter = (file: string): Writer => {
  let createAll: ((owners: readonly string[]) => KeyRow[]) | undefined;
  return {
    create: (owners) => {
      try {
        createAll ??= openKeyWriter(file);
        return Promise.resolve(createAll(owners));
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    },
    close: () => Promise.resolve(),
  };
};

// Started on the first key to create (a node that only reads keys never starts it); a writer
// that died fails what it held and the next batch starts another.
const threadWriter = (file: string): Writer => {
  let worker: Worker | undefined;
  let next = 0;
  const pending = new Map<number, { resolve: (rows: readonly KeyRow[]) => void; reject: (e: Error) => void }>();
  const failAll = (e: Error): void => {
    for (const p of pending.values()) p.reject(e);
    pending.clear();
    worker = undefined;
  };
  const start = (): Worker => {
    const w = new Worker(new URL('./sqlite-key-writer.js', import.meta.url), { workerData: { keyWriter: file } });
    w.on('message', (m: KeyWriterReply) => {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (pending.size === 0) w.unref();
      if (p === undefined) return;
      if ('error' in m) p.reject(new Error(`creating data keys failed: ${m.error}`));
      else p.resolve(m.rows.map((r) => ({ kid: r.kid, key: Buffer.from(r.key) })));
    });
    w.on('error', (e) => {
      if (worker === w) failAll(e);
    });
    w.on('exit', (code) => {
      if (worker === w) failAll(new Error(`the key writer thread exited (${String(code)})`));
    });
    return w;
  };
  return {
    create: (owners) =>
      new Promise((resolve, reject) => {
        worker ??= start();
        // Held by the process only while a batch is out: an idle writer never keeps it alive.
        worker.ref();
        next += 1;
        pending.set(next, { resolve, reject });
        worker.postMessage({ id: next, owners });
      }),
    close: async () => {
      const w = worker;
      worker = undefined;
      if (w !== undefined) await w.terminate();
    },
  };
};
