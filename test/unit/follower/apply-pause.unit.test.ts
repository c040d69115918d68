import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteCheckpoints } from '../../../adapters/checkpoint/sqlite.js';
import { applyBatch } from '../../../follower/apply.js';
import type { RecordedEvent } from '../../../ports/eventstore.js';
import type { CheckpointStore, FollowerHandler, Pause } from '../../../ports/follower.js';
import { ev, meta } from '../projections/fixtures.js';

// A batch whose handler pauses for an effect at its last handled event (delivery's triage: a
// page that ends with its sends): after the effect, the batch's end and every dead letter past
// the stored position are committed once, durably, not the pause's position and then the
// batch's end in two write transactions (issue 15).

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const record = (position: number, e: { type: string; data: unknown }): RecordedEvent => ({
  stream: `s-${String(position)}`,
  revision: 0,
  position,
  type: e.type,
  data: e.data,
  metadata: meta(),
});
/** A DeviceEnlisted without its device: it does not decode, so it is a dead letter. */
const poison = (position: number): RecordedEvent => record(position, { type: 'DeviceEnlisted', data: { uid: 'x' } });

describe('applyBatch with a pause at the last handled event', () => {
  it('stores the batch end and the dead letters after the effect in one commit, and they survive a reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'msgxc-apply-pause-'));
    dirs.push(dir);
    const file = join(dir, 'state.db');
    const db = new BetterSqlite3(file);
    const sqlite = createSqliteCheckpoints(db);
    const commits: number[] = [];
    const checkpoints: CheckpointStore = {
      ...sqlite,
      commit: async (name, work) => {
        const done = await sqlite.commit(name, work);
        commits.push(done.position);
        return done;
      },
    };
    const seen: number[] = [];
    const handler: FollowerHandler = {
      types: new Set(['UserRecognized', 'DeviceEnlisted']),
      // Asynchronous, as delivery's folds: it pauses at its last event, the enlistment.
      handle: (events) =>
        Promise.resolve<Pause>({
          at: events.length - 1,
          effect: async () => {
            seen.push(await sqlite.read('t'));
          },
        }),
    };
    const records = [
      record(1, ev.recognized('ann')),
      poison(2),
      record(3, ev.enlisted('ann', 'd1')),
      poison(4),
      record(5, { type: 'SomethingNoHandlerKnows', data: {} }),
    ];
    const done = await applyBatch(
      { name: 't', handler, checkpoints, now: () => '2026-01-01T00:00:00.000Z' },
      records,
      0,
    );
    expect(done.position).toBe(5);
    // The effect saw the batch before its event stored; then one commit, not two.
    expect(seen).toEqual([2]);
    expect(commits).toEqual([2, 5]);
    db.close();

    const reopened = new BetterSqlite3(file);
    try {
      const again = createSqliteCheckpoints(reopened);
      expect(await again.read('t')).toBe(5);
      expect((await again.deadLetters('t')).map((d) => d.position)).toEqual([2, 4, 5]);
    } finally {
      reopened.close();
    }
  });
});
