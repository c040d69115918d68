import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openEmbeddedReadStore } from '../../app/read-stores.js';
import { checksum, createEmbeddedReadModels } from '../../projections/embedded.js';
import { T0, ev, harness, midsFrom, put, to } from '../unit/projections/fixtures.js';
import { mixed } from '../contract/readmodels-runner.contract.js';
import type { Harness } from '../unit/projections/fixtures.js';

let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(async () => {
  await h.close();
});

// SQLite only: rebuilding on a schema change, and the file wiring. The runner's promises
// (re-apply, rebuild, waitFor, skipped, broadcast rows, resume) are in the read-model contract
// (test/contract/readmodels-runner.contract.ts), run by readmodels-sqlite.int.test.ts.
describe('projection runner on SQLite', () => {
  it('resumes from the stored checkpoint after a restart, and rebuilds when the schema version changed', async () => {
    const head = await h.put(...mixed());
    const before = checksum(h.db);
    await h.runner.stop();
    h.db.prepare(`UPDATE projection_meta SET value = 'an older schema' WHERE key = 'version'`).run();
    // Rows the older schema left that no event of this log makes: the rebuild must drop them.
    h.db.prepare(`INSERT INTO users (uid, first_position, first_at) VALUES ('ghost', 1, 'older schema')`).run();
    h.db.prepare(`UPDATE users SET first_at = 'older schema' WHERE uid = 'ann'`).run();
    expect(checksum(h.db)).not.toBe(before);
    // A broker started again on the same file, as the newer version would.
    const reopen = async () => {
      const read = openEmbeddedReadStore({ file: join(h.dir, 'read.db'), store: h.store });
      await read.runner.ready();
      return read;
    };
    const read = await reopen();
    try {
      const { runner, db } = read;
      expect(runner.status()[0]?.position).toBe(0);
      expect(checksum(db)).not.toBe(before);
      runner.start();
      await runner.waitFor(head, 5_000);
      await runner.stop();
      expect(checksum(db)).toBe(before);
      expect(db.prepare(`SELECT uid FROM users WHERE uid = 'ghost' OR first_at = 'older schema'`).all()).toEqual([]);
    } finally {
      await read.close();
    }
    const resumed = await reopen();
    try {
      expect(resumed.runner.status()[0]?.position).toBe(head);
      expect(await createEmbeddedReadModels(resumed.db).userCount()).toBe(3);
    } finally {
      await resumed.close();
    }
  });
});

describe('openEmbeddedReadStore', () => {
  it('wires the file, the runner and the read models as the README shows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'msgxc-read-'));
    const read = openEmbeddedReadStore({ file: join(dir, 'read.db'), store: h.store });
    try {
      read.runner.start();
      const m = midsFrom()();
      const position = await put(h.store, ev.published(m, to.user('ann')));
      await read.runner.waitFor(position);
      const page = await read.models.inbox('ann', { limit: 50 }, new Date(T0 + 1));
      expect(page).toEqual({ messages: [expect.objectContaining({ mid: m, seen: false, read: false })], next: null });
    } finally {
      await read.runner.stop();
      await read.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
