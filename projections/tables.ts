import { createHash } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { devicesProjection } from './devices/projection.js';
import { inboxProjection } from './inbox/projection.js';
import { messagesProjection } from './messages/projection.js';
import type { SqliteProjection } from './projection.js';
import { threadsProjection } from './threads/projection.js';
import { usersProjection } from './users/projection.js';
import { userImportsProjection } from './user-imports/projection.js';
import { segmentsProjection } from './segments/projection.js';

export const embeddedProjections: readonly SqliteProjection[] = [
  usersProjection,
  devicesProjection,
  threadsProjection,
  messagesProjection,
  inboxProjection,
  userImportsProjection,
  segmentsProjection,
];

export const readModelTables: readonly string[] = embeddedProjections.flatMap((p) => p.tables);

// Bump when an evolve function changes meaning without a DDL change: a different version
// (or DDL) on open drops the read models and replays them from the log.
const EVOLVE_VERSION = 1;
export const schemaVersion = createHash('sha256')
  .update(`${EVOLVE_VERSION}\n${embeddedProjections.flatMap((p) => p.ddl).join('\n')}`)
  .digest('hex');

// The follower keeps its checkpoint in the same file (adapters/checkpoint/sqlite.ts).
const bookkeeping = [
  'CREATE TABLE IF NOT EXISTS projection_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID',
];

const createModels = (db: Database): void => {
  for (const sql of embeddedProjections.flatMap((p) => p.ddl)) db.prepare(sql).run();
};

/** Drops and recreates every read-model table (the caller forgets the checkpoint with them). */
export const recreateReadModels = (db: Database): void => {
  db.transaction(() => {
    for (const sql of bookkeeping) db.prepare(sql).run();
    for (const t of readModelTables) db.prepare(`DROP TABLE IF EXISTS ${t}`).run();
    createModels(db);
    db.prepare(`INSERT OR REPLACE INTO projection_meta (key, value) VALUES ('version', ?)`).run(schemaVersion);
  })();
};

/**
 * Creates the schema on a new file, and recreates it empty when the stored version differs
 * (then the read models are replayed from the log). True when it (re)created them.
 */
export const ensureReadModels = (db: Database): boolean => {
  for (const sql of bookkeeping) db.prepare(sql).run();
  const row = db.prepare<[], { value: string }>(`SELECT value FROM projection_meta WHERE key = 'version'`).get();
  if (row?.value === schemaVersion) return false;
  recreateReadModels(db);
  return true;
};
