import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCheckpoint } from '../../projections/checkpoint.js';
import { checksum, createEmbeddedReadModels, createProjectionRunner, openReadDb } from '../../projections/embedded.js';
import { RUNNER_NAME } from '../../projections/runner.js';
import { readModelTables } from '../../projections/tables.js';
import { expect } from 'vitest';
import { readModelsContract } from '../contract/readmodels.contract.js';

// The read-model contract on the embedded SQLite store: a temp read.db per test.
readModelsContract('sqlite', ({ store, clock }) => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-proj-'));
  const db = openReadDb(join(dir, 'read.db'));
  return Promise.resolve({
    models: createEmbeddedReadModels(db, clock),
    runner: createProjectionRunner({ store, db }),
    runnerName: RUNNER_NAME,
    rowsPerBroadcast: 1, // the messages row
    checksum: () => Promise.resolve(checksum(db)),
    rowCount: () =>
      Promise.resolve(
        readModelTables.reduce(
          (n, t) => n + (db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM ${t}`).get()?.n ?? 0),
          0,
        ),
      ),
    plantStale: () => {
      db.transaction(() => {
        db.prepare(
          `INSERT INTO users (uid, first_position, first_at) VALUES ('ghost', 1, 'no event wrote this')`,
        ).run();
        expect(
          db.prepare(`UPDATE users SET first_position = 999999, first_at = 'corrupted' WHERE uid = 'ann'`).run()
            .changes,
        ).toBe(1);
        expect(db.prepare(`DELETE FROM threads WHERE tid = 't1'`).run().changes).toBe(1);
      })();
      return Promise.resolve();
    },
    setCheckpoint: (position) => {
      writeCheckpoint(db, RUNNER_NAME, position);
      return Promise.resolve();
    },
    newRunner: () => Promise.resolve(createProjectionRunner({ store, db })),
    cleanup: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  });
});
