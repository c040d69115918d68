import type { Database } from 'better-sqlite3';

// GDPR erasure on the embedded projection files (read models `read*.db`, search `search*.db`;
// docs/gdpr.md). Two things keep an erased user's bytes in a SQLite file after the rows say
// `[erased]`: free space (the old cell in its page, whole pages on the freelist: the overflow
// pages of a long text) and the write-ahead log (older copies of the pages, kept after a
// checkpoint until overwritten).
// - Every connection runs with `secure_delete = ON`: SQLite zeroes whatever is removed, in the
//   page and on the freelist. FAST (zeroing only within pages written anyway) is not enough: a
//   long text's overflow pages go to the freelist as they were, so a direct message deleted or
//   blanked under FAST stays in the file, out of reach of a later erasure (checked by reading
//   the file raw). ON cost nothing measurable on the read models' write path (bench/secure-delete.ts).
// - After a batch that applies an erasure, the WAL is checkpointed and truncated to zero bytes.
// A TRUNCATE checkpoint cannot finish while another connection (an HTTP thread's query) reads
// an older snapshot or still uses the WAL: SQLite answers busy after the busy wait instead of
// failing. The writer's thread must not wait long for that (it is the projection's event loop),
// so it waits briefly and tries again later, until the WAL is truncated or the file closed.

/** How long one checkpoint attempt waits for readers (the connection's busy wait, restored after). */
const ATTEMPT_WAIT_MS = 25;
const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 5_000;

/** Set once at open, on every connection to a projection file. */
export const secureDelete = (db: Database): void => {
  db.pragma('secure_delete = ON');
};

const busyTimeout = (db: Database): number => Number(db.pragma('busy_timeout', { simple: true }));

/**
 * One `wal_checkpoint(TRUNCATE)` attempt: true when the WAL was written back and truncated.
 * Waits at most `waitMs` for readers and writers of other connections.
 */
export const truncateWalOnce = (db: Database, waitMs = ATTEMPT_WAIT_MS): boolean => {
  if (!db.open || db.inTransaction) return false;
  const before = busyTimeout(db);
  db.pragma(`busy_timeout = ${String(waitMs)}`);
  try {
    const [r] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    return r?.busy === 0;
  } finally {
    db.pragma(`busy_timeout = ${String(before)}`);
  }
};

// One retry loop per connection: erasures that come while one waits are covered by it.
const retrying = new WeakSet<Database>();

/**
 * Truncates the WAL now, or (readers in the way) from a timer, backing off up to 5 s, until it
 * succeeds or the connection is closed. `onRetry` hears of each failed attempt (tests, logs).
 */
export const truncateWal = (db: Database, onRetry?: (attempt: number) => void): void => {
  if (retrying.has(db)) return;
  let attempt = 0;
  const tryNow = (): boolean => {
    try {
      return truncateWalOnce(db);
    } catch {
      return false; // an I/O error or a closed file: tried again below while it is open
    }
  };
  if (tryNow()) return;
  retrying.add(db);
  const again = (delay: number): void => {
    attempt += 1;
    onRetry?.(attempt);
    setTimeout(() => {
      if (!db.open) {
        retrying.delete(db);
        return;
      }
      if (tryNow()) retrying.delete(db);
      else again(Math.min(RETRY_MAX_MS, delay * 2));
    }, delay).unref();
  };
  again(RETRY_FIRST_MS);
};

/** Runs `work` (one transaction that applies an erasure), then truncates the WAL. */
export const erasing = <T>(db: Database, work: () => T): T => {
  const out = work();
  truncateWal(db);
  return out;
};

/**
 * For work that runs inside a transaction another layer commits (the follower's checkpoint
 * store): the WAL is truncated once that transaction has committed, which is by the end of
 * this synchronous run (better-sqlite3's transactions are synchronous; a transaction still
 * open then is waited for).
 */
export const erasingInTransaction = (db: Database): void => {
  const after = (): void => {
    if (!db.open) return;
    if (db.inTransaction) {
      setImmediate(after);
      return;
    }
    truncateWal(db);
  };
  queueMicrotask(after);
};
