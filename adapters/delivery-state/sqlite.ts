import type { Database } from 'better-sqlite3';
import type { DeliveryStateStore } from '../../ports/delivery-state.js';
import { createSqliteCheckpoints } from '../checkpoint/sqlite.js';
import type { StateBatch } from '../../schema/delivery-state.js';
import { directoryReads } from './sqlite-directory.js';
import { directoryWriter } from './sqlite-directory-writer.js';
import { StoredMessages } from './sqlite-stored-messages.js';
import { groupRows } from './sqlite-groups.js';
import { sqliteReports } from './sqlite-reports.js';
import { openDeliveryDb } from './sqlite-tables.js';
import { timerReads, timerWriter } from './sqlite-timers.js';
import { unitReads, unitWriter } from './sqlite-units.js';

// Delivery's state in one SQLite file: a batch is one transaction with its checkpoint (the
// follower's own tables, adapters/checkpoint/sqlite.ts, in the same file), so a fold applies
// each event exactly once here (the changes are idempotent anyway, for engines
// without transactions). Reads answer synchronously underneath the port's promises.
/**
 * GDPR erasure (docs/gdpr.md), the one hook here: a batch that erases a user runs with
 * `secure_delete` on, so SQLite zeroes what the erasure removes (devices, contact points, the
 * text of their direct messages) instead of leaving it in free space; then the write-ahead log,
 * which still holds the pages as they were before, is written back and truncated. Every batch
 * runs with `secure_delete = ON`, not FAST: FAST leaves freed overflow pages as they were, so the
 * long text of a message freed by an ordinary batch before the erasure stayed on the freelist,
 * out of its reach (as in the read models and search, adapters/sqlite/erasure.ts).
 */
const erasing = (db: Database, commit: () => void): void => {
  commit();
  db.pragma('wal_checkpoint(TRUNCATE)');
};

export const openSqliteDeliveryState = (file: string): DeliveryStateStore => {
  const db = openDeliveryDb(file);
  db.pragma('secure_delete = ON');
  const messages = new StoredMessages();
  const directory = directoryWriter(db, messages);
  const units = unitWriter(db);
  const groups = groupRows(db);
  const timer = timerWriter(db);
  const checkpoints = createSqliteCheckpoints(db);
  const commit = db.transaction((b: StateBatch) => {
    for (const c of b.directory ?? []) directory(c);
    for (const u of b.units ?? []) units.unit(u);
    for (const g of b.groups ?? []) groups.write(g);
    for (const c of b.deliveries ?? []) units.change(c);
    for (const t of b.timers ?? []) timer(t);
    if (b.checkpoint !== undefined) checkpoints.saveNow(b.checkpoint.name, b.checkpoint.position);
  });
  // The messages the transaction stored are remembered only once it committed (sqlite-directory.ts).
  const commitBatch = (b: StateBatch): void => {
    let committed = false;
    try {
      commit(b);
      committed = true;
    } finally {
      messages.settled(committed);
    }
  };
  return {
    directory: directoryReads(db, messages),
    units: unitReads(db, groups),
    timers: timerReads(db),
    reports: sqliteReports(db, groups),
    checkpoints,
    commit: (batch) => {
      try {
        if (batch.directory?.some((c) => c.type === 'user-erased') === true)
          erasing(db, () => {
            commitBatch(batch);
          });
        else commitBatch(batch);
        return Promise.resolve();
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    },
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
};
