import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// A consistent copy of delivery's state file, taken while the reactors keep writing it:
// `VACUUM INTO` reads the database in one read transaction (WAL mode lets the writer go on), so
// the copy is the state as of one commit, with the followers' checkpoints of that same commit
// (adapters/checkpoint/sqlite.ts keeps them in the file). It is compact: no free pages, so
// nothing a secure delete zeroed or an erasure removed comes back (docs/gdpr.md). It runs in
// a worker thread with its own connection: copying a large file must not hold the event loop.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
try {
  const db = new Database(workerData.from, { readonly: true, fileMustExist: true });
  try { db.prepare('VACUUM INTO ?').run(workerData.into); } finally { db.close(); }
  const copy = new Database(workerData.into, { readonly: true, fileMustExist: true });
  let rows = [];
  try {
    const table = copy.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'follower_checkpoints'").get();
    if (table !== undefined) rows = copy.prepare('SELECT name, position FROM follower_checkpoints').all();
  } finally { copy.close(); }
  parentPort.postMessage({ rows });
} catch (e) {
  parentPort.postMessage({ error: String(e && e.message ? e.message : e) });
}
`;

export interface StateCopy {
  /** Each follower's checkpoint in the copy. */
  readonly checkpoints: Readonly<Record<string, number>>;
  /** The smallest of them: the copy holds the log up to here (0 with no checkpoint). */
  readonly position: number;
}

/** Copies the SQLite state file `from` into `into` (which must not exist). */
export const copySqliteState = (from: string, into: string): Promise<StateCopy> =>
  new Promise((resolve, reject) => {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER, { eval: true, workerData: { from, into, driver } });
    let answered = false;
    worker.once('message', (m: { rows?: { name: string; position: number }[]; error?: string }) => {
      answered = true;
      if (m.error !== undefined || m.rows === undefined) {
        reject(new Error(`copy of ${from} failed: ${m.error ?? 'no answer'}`));
        return;
      }
      const checkpoints = Object.fromEntries(m.rows.map((r) => [r.name, r.position]));
      const positions = m.rows.map((r) => r.position);
      resolve({ checkpoints, position: positions.length === 0 ? 0 : Math.min(...positions) });
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (!answered) reject(new Error(`copy of ${from}: worker exited with ${code}`));
    });
  });
