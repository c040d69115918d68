// Worker-thread entry of the SQLite key store's writer (sqlite.ts): creates the data keys asked
// for, one immediate transaction per batch, so the fsync of a new person's key waits here and
// not on the event loop that serves requests (issue 15: the send path must not block on fsync).
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { useWal } from '../sqlite/wal.js';

export interface KeyWriterRequest {
  readonly id: number;
  readonly owners: readonly string[];
}
export interface KeyRow {
  readonly kid: string;
  readonly key: Buffer;
}
export type KeyWriterReply =
  | { readonly id: number; readonly rows: readonly KeyRow[] }
  | { readonly id: number; readonly error: string };

/** Opens the key table for writing; shared by the thread and the in-loop writer. */
export const openKeyWriter = (file: string): ((owners: readonly string[]) => KeyRow[]) => {
  const db = new Database(file);
  useWal(db);
  db.pragma('secure_delete = ON');
  db.pragma('busy_timeout = 5000');
  const current = db.prepare<[string], KeyRow>('SELECT kid, key FROM data_keys WHERE owner = ? LIMIT 1');
  const insert = db.prepare<[string, string, Buffer, string]>(
    'INSERT INTO data_keys (owner, kid, key, created_at) VALUES (?, ?, ?, ?)',
  );
  // Under an immediate transaction: another connection creating the same owner's key waits,
  // then finds it, so one owner gets one key.
  return db
    .transaction((owners: readonly string[]): KeyRow[] =>
      owners.map((owner) => {
        const there = current.get(owner);
        if (there !== undefined) return there;
        const row = { kid: randomBytes(12).toString('base64url'), key: randomBytes(32) };
        insert.run(owner, row.kid, row.key, new Date().toISOString());
        return row;
      }),
    )
    .immediate.bind(null);
};

if (parentPort !== null && (workerData as { keyWriter?: string } | undefined)?.keyWriter !== undefined) {
  const port = parentPort;
  // Named for `top -H` and per-thread CPU (as app/thread-name.ts does for the app's workers).
  try {
    writeFileSync('/proc/thread-self/comm', 'msgxc-keys');
  } catch {
    // not Linux: a diagnostic only
  }
  const createAll = openKeyWriter((workerData as { keyWriter: string }).keyWriter);
  port.on('message', (m: KeyWriterRequest) => {
    try {
      port.postMessage({ id: m.id, rows: createAll(m.owners) } satisfies KeyWriterReply);
    } catch (e) {
      port.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) } satisfies KeyWriterReply);
    }
  });
}
