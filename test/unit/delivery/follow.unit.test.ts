import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../adapters/clock/clock.js';
import { openSqliteDeliveryState } from '../../../adapters/delivery-state/sqlite.js';
import { createMemoryEventStore } from '../../../adapters/eventstore/memory.js';
import { startFollower } from '../../../delivery/follow.js';
import type { Fold, FollowerOptions } from '../../../delivery/follow.js';
import type { DeliveryStateStore } from '../../../ports/delivery-state.js';
import type { EventStore } from '../../../ports/eventstore.js';
import type { DeadLetter } from '../../../ports/follower.js';
import { ev, meta, put } from '../projections/fixtures.js';

// Delivery's followers on the one log follower (follower/): their checkpoint is the
// follower's own table in reactors.db (adapters/checkpoint/sqlite.ts), an older file's
// reactor_checkpoints is adopted, and a fold's effect runs with the batch before it committed
// and passes its event only once it succeeded (an asynchronous handler that pauses).

const dirs: string[] = [];
const fresh = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-follow-'));
  dirs.push(dir);
  return join(dir, 'reactors.db');
};
/** A delivery follower named `under-test` over users' and devices' events. */
const follow = (
  store: EventStore,
  state: DeliveryStateStore,
  o: Pick<FollowerOptions, 'fold'> & Partial<Pick<FollowerOptions, 'joins' | 'onDeadLetters'>>,
) =>
  startFollower({
    name: 'under-test',
    store,
    state,
    types: new Set(['UserRecognized', 'DeviceEnlisted']),
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    clock: systemClock,
    ...o,
  });

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('a delivery follower', () => {
  it("continues from an older reactors.db's reactor_checkpoints, adopted into the follower's table", async () => {
    const file = fresh();
    await openSqliteDeliveryState(file).close();
    const db = new BetterSqlite3(file);
    db.exec('DELETE FROM follower_checkpoints');
    db.exec('CREATE TABLE reactor_checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL) WITHOUT ROWID');
    db.prepare('INSERT INTO reactor_checkpoints (name, position) VALUES (?, ?)').run('triage', 42);
    db.close();
    const state = openSqliteDeliveryState(file);
    try {
      expect(await state.checkpoints.read('triage')).toBe(42);
    } finally {
      await state.close();
    }
    const after = new BetterSqlite3(file);
    const legacy = after.prepare(`SELECT name FROM sqlite_master WHERE name = 'reactor_checkpoints'`).get();
    after.close();
    expect(legacy).toBeUndefined();
  });

  it("runs a fold's effect after the batch before it committed, and passes its event only once the effect succeeded", async () => {
    const store = createMemoryEventStore();
    const state = openSqliteDeliveryState(fresh());
    const during: number[] = [];
    let attempts = 0;
    const fold: Fold = (event) =>
      Promise.resolve(
        event.type !== 'DeviceEnlisted'
          ? undefined
          : async () => {
              during.push(await state.checkpoints.read('under-test'));
              attempts += 1;
              if (attempts === 1) throw new Error('the append failed');
            },
      );
    const pa = await put(store, ev.recognized('ann'));
    const pd = await put(store, ev.enlisted('ann', 'd1'));
    const pb = await put(store, ev.recognized('bob'));
    const f = follow(store, state, { fold });
    try {
      await f.start();
      await f.caughtUp(pb);
      expect(pa).toBeLessThan(pd);
      // Both tries saw the batch up to the event committed, the checkpoint right before it.
      expect(during).toEqual([pd - 1, pd - 1]);
      expect(await state.checkpoints.read('under-test')).toBe(pb);
      expect(f.position()).toBe(pb);
    } finally {
      await f.stop();
      await state.close();
      await store.close();
    }
  });

  it('runs the effects of a run of joining events together, after one commit before the first; a failed one runs them all again', async () => {
    const store = createMemoryEventStore();
    const state = openSqliteDeliveryState(fresh());
    const runs: { device: string; checkpoint: number }[] = [];
    let inFlight = 0;
    let most = 0;
    let failures = 1;
    const fold: Fold = (event) =>
      Promise.resolve(
        event.type !== 'DeviceEnlisted'
          ? undefined
          : async () => {
              inFlight += 1;
              most = Math.max(most, inFlight);
              runs.push({ device: event.data.deviceId, checkpoint: await state.checkpoints.read('under-test') });
              await new Promise((r) => setTimeout(r, 5));
              inFlight -= 1;
              if (event.data.deviceId === 'd2' && failures > 0) {
                failures -= 1;
                throw new Error('the append failed');
              }
            },
      );
    const pa = await put(store, ev.recognized('ann'));
    const p1 = await put(store, ev.enlisted('ann', 'd1'));
    await put(store, ev.enlisted('ann', 'd2'));
    await put(store, ev.enlisted('ann', 'd3'));
    await put(store, ev.recognized('bob')); // does not join: the run ends before it
    const p4 = await put(store, ev.enlisted('bob', 'd4'));
    const f = follow(store, state, { fold, joins: (event) => event.type === 'DeviceEnlisted' });
    try {
      await f.start();
      await f.caughtUp(p4);
      expect(pa).toBeLessThan(p1);
      // d1..d3 together (twice: d2 failed the first time), each time with the checkpoint before d1; then d4 alone.
      expect(runs).toEqual([
        ...['d1', 'd2', 'd3', 'd1', 'd2', 'd3'].map((device) => ({ device, checkpoint: p1 - 1 })),
        { device: 'd4', checkpoint: p4 - 1 },
      ]);
      expect(most).toBe(3);
      expect(await state.checkpoints.read('under-test')).toBe(p4);
    } finally {
      await f.stop();
      await state.close();
      await store.close();
    }
  });

  it('quarantines an event it cannot decode as a dead letter kept with its checkpoints, reports it, and carries on', async () => {
    const store = createMemoryEventStore();
    const state = openSqliteDeliveryState(fresh());
    const folded: string[] = [];
    const reported: DeadLetter[] = [];
    const poison = await store.append(
      'user-poison',
      [{ type: 'DeviceEnlisted', data: { uid: 'poison' }, metadata: meta() }],
      'any',
    );
    if (poison.kind !== 'appended') throw new Error('could not plant the poison event');
    const after = await put(store, ev.recognized('bob'));
    const f = follow(store, state, {
      fold: (event) => {
        folded.push(event.type);
        return Promise.resolve(undefined);
      },
      onDeadLetters: (dead) => reported.push(...dead),
    });
    try {
      await f.start();
      await f.caughtUp(after);
      expect(folded).toEqual(['UserRecognized']);
      const kept = await state.checkpoints.deadLetters('under-test');
      expect(kept.map((d) => [d.position, d.stream, d.type])).toEqual([
        [poison.position, 'user-poison', 'DeviceEnlisted'],
      ]);
      expect(kept[0]?.reason).toMatch(/^data: /);
      expect(reported.map((d) => d.position)).toEqual([poison.position]);
      expect(await state.checkpoints.read('under-test')).toBe(after);
    } finally {
      await f.stop();
      await state.close();
      await store.close();
    }
  });
});
