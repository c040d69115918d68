import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEmbeddedReadStore } from '../../app/read-stores.js';
import { EMBEDDED_READ_MODELS, checksum } from '../../projections/embedded.js';
import { readModelTables } from '../../projections/tables.js';
import { expect } from 'vitest';
import { readModelsContract } from '../contract/readmodels.contract.js';

// The read-model contract on the embedded SQLite store: a temp read.db per test (and the
// generations a rebuild puts beside it).
readModelsContract('sqlite', async ({ store, clock, pageSize }) => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-proj-'));
  const open = () => openEmbeddedReadStore({ file: join(dir, 'read.db'), store, clock, pageSize });
  const read = open();
  await read.runner.ready();
  const opened = [read];
  return {
    models: read.models,
    runner: read.runner,
    runnerName: EMBEDDED_READ_MODELS,
    rowsPerBroadcast: 1, // the messages row
    checksum: () => Promise.resolve(checksum(read.db)),
    rowCount: () =>
      Promise.resolve(
        readModelTables.reduce(
          (n, t) => n + (read.db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM ${t}`).get()?.n ?? 0),
          0,
        ),
      ),
    plantStale: () => {
      const { db } = read;
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
    setCheckpoint: (position) =>
      read.runner.live()?.checkpoints.write(EMBEDDED_READ_MODELS, position) ?? Promise.resolve(),
    newRunner: async () => {
      const again = open();
      opened.push(again);
      await again.runner.ready();
      return again.runner;
    },
    cleanup: async () => {
      for (const r of opened) await r.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
