import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeCheckpoint } from '../../projections/checkpoint.js';
import { checksum, createEmbeddedReadModels, createProjectionRunner, openEmbeddedReadStore, openReadDb } from '../../projections/embedded.js';
import { RUNNER_NAME } from '../../projections/runner.js';
import { readModelTables } from '../../projections/schema.js';
import type { DomainEvent } from '../../schema/events.js';
import { T0, ev, harness, meta, midsFrom, put, to } from '../unit/projections/fixtures.js';
import type { Harness } from '../unit/projections/fixtures.js';

let h: Harness;
beforeEach(() => { h = harness(); });
afterEach(async () => { await h.close(); });

// A log touching every read model, including removals and status changes that a careless
// replay would undo or double.
const mixed = (): DomainEvent[] => {
  const mid = midsFrom();
  const m = Array.from({ length: 8 }, () => mid());
  const [m0, m1, m2, m3, m4, m5, m6, m7] = m as [string, string, string, string, string, string, string, string];
  return [
    ev.recognized('ann'), ev.enlisted('ann', 'd1'), ev.enlisted('bob', 'd2'), ev.thread('t1', 'ann'), ev.joined('t1', 'ann', 'admin'),
    ev.joined('t1', 'bob'), ev.published(m0, to.thread('t1')), ev.published(m1, to.everyone()), ev.published(m2, to.users('ann', 'cid')),
    ev.left('t1', 'bob'), ev.published(m3, to.thread('t1')), ev.joined('t1', 'bob'), ev.published(m4, to.thread('t1'), { scheduled: T0 + 9e9 }),
    ev.cancelled(m4), ev.published(m5, to.user('bob')), ev.retracted(m5), ev.acked('bob', [m0, m1], 'seen'), ev.acked('ann', [m2], 'read'),
    ev.marked('bob', m3, 't1'), ev.marked('ann', m1), ev.deleted('cid', [m2]), ev.revoked('ann', 'd1'), ev.enlisted('bob', 'd3'),
    ev.enlisted('bob', 'd2'), ev.published(m6, to.everyone()), ev.published(m7, to.thread('t1')), ev.left('t1', 'ann', 'admin'),
  ];
};

const rowCount = (): number =>
  readModelTables.reduce((n, t) => n + (h.db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM ${t}`).get()?.n ?? 0), 0);

describe('projection runner', () => {
  it('re-applying already applied events (checkpoint moved back) leaves the read models identical', async () => {
    const head = await h.put(...mixed());
    const before = checksum(h.db);
    for (const back of [0, 7, 19]) {
      await h.runner.stop();
      writeCheckpoint(h.db, RUNNER_NAME, back);
      const again = createProjectionRunner({ store: h.store, db: h.db });
      again.start();
      expect(again.status()).toEqual([{ name: RUNNER_NAME, position: back }]);
      await again.waitFor(head, 5_000);
      await again.stop();
      expect(checksum(h.db)).toBe(before);
    }
    h.runner.start();
    await h.put(ev.recognized('someone-new'));
    expect(checksum(h.db)).not.toBe(before);
  });

  it('rebuild drops everything and replays from zero to the same checksum, reporting progress', async () => {
    const head = await h.put(...mixed());
    const before = checksum(h.db);
    const progress: [number, number][] = [];
    await h.runner.rebuild((p, total) => progress.push([p, total]));
    expect(checksum(h.db)).toBe(before);
    expect(progress.at(-1)).toEqual([head, head]);
    expect(h.runner.status()[0]?.position).toBe(head);
    // Still live after a rebuild, and queries prepared before it still work.
    await h.put(ev.published(midsFrom(T0 + 1e6)(), to.user('ann')));
    expect(await h.models.userCount()).toBe(3);
    expect((await h.models.inbox('ann', { limit: 50 }, h.clock.now())).messages).toHaveLength(4);
  });

  it('waitFor resolves once the position is applied, and rejects on timeout or stop', async () => {
    const head = await h.put(ev.recognized('ann'));
    await expect(h.runner.waitFor(head)).resolves.toBeUndefined();
    const pending = h.runner.waitFor(head + 1, 5_000);
    await h.put(ev.recognized('bob'));
    await expect(pending).resolves.toBeUndefined();
    await expect(h.runner.waitFor(head + 5, 30)).rejects.toThrow(/did not reach/);
    const stopped = h.runner.waitFor(head + 5, 5_000);
    await h.runner.stop();
    await expect(stopped).rejects.toThrow(/stopped/);
  });

  it('skips and counts events it does not know or cannot decode, and carries on', async () => {
    await h.store.append('triage-x', [{ type: 'MessageTriaged', data: { mid: 'x' }, metadata: meta() }], 'any');
    await h.store.append('user-bad', [{ type: 'DeviceEnlisted', data: { uid: 'bad' }, metadata: meta() }], 'any');
    await h.put(ev.recognized('ann'));
    expect(h.runner.skipped()).toEqual({ unknown: 1, invalid: 1 });
    expect(await h.models.userCount()).toBe(1);
  });

  it('a broadcast to a thousand users writes one row', async () => {
    await h.put(...Array.from({ length: 1000 }, (_, i) => ev.recognized(`u${i}`)));
    const rows = rowCount();
    const m = midsFrom()();
    await h.put(ev.published(m, to.everyone()));
    expect(rowCount() - rows).toBe(1);
    expect((await h.models.inbox('u777', { limit: 5 }, h.clock.now())).messages.map((x) => x.mid)).toEqual([m]);
  });

  it('resumes from the stored checkpoint after a restart, and rebuilds when the schema version changed', async () => {
    const head = await h.put(...mixed());
    const before = checksum(h.db);
    await h.runner.stop();
    h.db.prepare(`UPDATE projection_meta SET value = 'an older schema' WHERE key = 'version'`).run();
    h.db.close();
    const db = openReadDb(join(h.dir, 'read.db'));
    try {
      const runner = createProjectionRunner({ store: h.store, db });
      expect(runner.status()[0]?.position).toBe(0);
      runner.start();
      await runner.waitFor(head, 5_000);
      await runner.stop();
      expect(checksum(db)).toBe(before);
      const resumed = createProjectionRunner({ store: h.store, db });
      expect(resumed.status()[0]?.position).toBe(head);
      expect(await createEmbeddedReadModels(db).userCount()).toBe(3);
    } finally {
      db.close();
      Object.assign(h, { db: openReadDb(join(h.dir, 'read.db')) });
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
