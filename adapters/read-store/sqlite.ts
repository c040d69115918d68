import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { useWal } from '../sqlite/wal.js';
import { secureDelete } from '../sqlite/erasure.js';

// Opening a read-model file (the read side's SQLite engine; projections/ writes its SQL over the
// connection it is given and never opens one). synchronous=NORMAL can lose the last
// transactions on power loss, which is fine here: the checkpoint is lost with them and the
// follower re-applies them from the log.
export const openSqliteReadFile = (path: string): Database => {
  const db = new BetterSqlite3(path);
  useWal(db);
  db.pragma('synchronous = NORMAL');
  db.pragma('temp_store = MEMORY');
  // As the writer's connection (adapters/sqlite/erasure.ts), for what this one may write (its schema).
  secureDelete(db);
  return db;
};
