import type { Database } from 'better-sqlite3';

// Every SQLite file of an embedded node is opened in WAL mode, often by several threads at
// once (the HTTP threads, delivery's two threads, the projection workers). Switching a new
// file's journal mode takes an exclusive lock for which SQLite does not call the busy handler:
// the second connection gets SQLITE_BUSY at once, and the thread failed to start. So the
// switch is retried, for as long as a busy handler would have waited.

const WAIT_MS = 5000;
const PAUSE_MS = 5;

const busy = (e: unknown): boolean =>
  typeof e === 'object' && e !== null && String((e as { code?: unknown }).code).startsWith('SQLITE_BUSY');

const pause = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

/** `PRAGMA journal_mode = WAL`, retried while another connection holds the file's lock. */
export const useWal = (db: Database, waitMs = WAIT_MS): void => {
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (e) {
      if (!busy(e) || Date.now() >= until) throw e;
      pause(PAUSE_MS);
    }
  }
};
