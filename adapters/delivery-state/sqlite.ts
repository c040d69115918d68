import type { DeliveryStateStore } from '../../ports/delivery-state.js';
import { createSqliteCheckpoints } from '../checkpoint/sqlite.js';
import type { StateBatch } from '../../schema/delivery-state.js';
import { directoryReads, directoryWriter } from './sqlite-directory.js';
import { groupRows } from './sqlite-groups.js';
import { sqliteReports } from './sqlite-reports.js';
import { openDeliveryDb } from './sqlite-tables.js';
import { timerReads, timerWriter } from './sqlite-timers.js';
import { unitReads, unitWriter } from './sqlite-units.js';

// Delivery's state in one SQLite file: a batch is one transaction with its checkpoint (the
// follower's own tables, adapters/checkpoint/sqlite.ts, in the same file), so a fold applies
// each event exactly once here (the changes are idempotent anyway, for engines
// without transactions). Reads answer synchronously underneath the port's promises.
export const openSqliteDeliveryState = (file: string): DeliveryStateStore => {
  const db = openDeliveryDb(file);
  const directory = directoryWriter(db);
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
  return {
    directory: directoryReads(db),
    units: unitReads(db, groups),
    timers: timerReads(db),
    reports: sqliteReports(db, groups),
    checkpoints,
    commit: (batch) => {
      try {
        commit(batch);
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
