import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock, systemClock } from '../../../adapters/clock/clock.js';
import { openSqliteDeliveryState } from '../../../adapters/delivery-state/sqlite.js';
import { createMemoryEventStore } from '../../../adapters/eventstore/memory.js';
import { createCommands } from '../../../commands/index.js';
import type { CommandContext } from '../../../commands/types.js';
import { createDispatcher, DEFAULT_DISPATCH_SETTINGS } from '../../../delivery/dispatch.js';
import { startReactors } from '../../../delivery/runner.js';
import type { Reactors } from '../../../delivery/runner.js';
import { createScheduler } from '../../../delivery/scheduler.js';
import type { Scheduler } from '../../../delivery/scheduler.js';
import { silentLog } from '../../../delivery/types.js';
import { triageStream } from '../../../domain/triage/keys.js';
import type { Clock } from '../../../ports/clock.js';
import type { DeliveryStateStore } from '../../../ports/delivery-state.js';
import type { EventStore } from '../../../ports/eventstore.js';
import { asMessageId, asUserId } from '../../../schema/ids.js';

// The scheduler over the real SQLite delivery state, its timer queries counted (issue 15): the
// folds wake it after every batch, and a wake asks the state nothing unless a timer can be due;
// a timer a batch set due now fires at once, one set a little ahead fires when due, not at the
// next poll (60 s here, past every test's end).
const POLL_MS = 60_000;
const T0 = Date.parse('2030-01-01T00:00:00.000Z');

/** The state, recording each query the scheduler makes of it (the folds never read timers). */
const counted = (state: DeliveryStateStore): { state: DeliveryStateStore; calls: string[] } => {
  const calls: string[] = [];
  const t = state.timers;
  return {
    calls,
    state: {
      ...state,
      commit: (b) => state.commit(b),
      close: () => state.close(),
      units: {
        ...state.units,
        claimsOfEarlierRuns: (node, run) => {
          calls.push('claimsOfEarlierRuns');
          return state.units.claimsOfEarlierRuns(node, run);
        },
      },
      timers: {
        due: (now, limit, after) => {
          calls.push('due');
          return t.due(now, limit, after);
        },
        next: () => {
          calls.push('next');
          return t.next();
        },
        count: () => {
          calls.push('count');
          return t.count();
        },
        upcoming: (kind, now, limit) => t.upcoming(kind, now, limit),
      },
    },
  };
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const openState = (): { state: DeliveryStateStore; calls: string[] } => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-scheduler-'));
  const raw = openSqliteDeliveryState(join(dir, 'reactors.db'));
  cleanups.push(async () => {
    await raw.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return counted(raw);
};
/** One turn of the event loop: the wakes of the last one have been looked at, and a pass they started ran. */
const turn = (): Promise<void> =>
  new Promise((resolve) => {
    setImmediate(resolve);
  });

const commandsOf = (store: EventStore) => createCommands({ store, ids: { randomId: randomUUID } });

const schedulerOver = (state: DeliveryStateStore, store: EventStore, clock: Clock): Scheduler => {
  const commands = commandsOf(store);
  const common = { state, store, clock, node: 'n1', run: 'r1', log: silentLog };
  const dispatcher = createDispatcher({
    ...common,
    channels: {},
    settings: DEFAULT_DISPATCH_SETTINGS,
    random: () => 0.5,
    revokeDevice: commands.revokeDevice,
    stopped: () => false,
  });
  const scheduler = createScheduler({ ...common, dispatcher, pollMs: POLL_MS, ready: () => true });
  cleanups.push(() => {
    scheduler.stop();
    return Promise.resolve();
  });
  return scheduler;
};

const ctx = (now: Date): CommandContext => ({
  actor: { uid: 'admin', roles: ['admin'] },
  now,
  correlationId: `req-${randomUUID()}`,
});

const reactorsOver = (state: DeliveryStateStore, store: EventStore, clock: Clock): Reactors => {
  const commands = commandsOf(store);
  const reactors = startReactors({
    store,
    state,
    clock,
    presence: { isOnline: () => false, sessions: () => 0 },
    channels: {},
    revokeDevice: commands.revokeDevice,
    pollMs: POLL_MS,
    node: 'n1',
  });
  cleanups.push(() => reactors.stop());
  return reactors;
};

/** When `mid` became due in the log (Date.now()), waiting for it at most `ms`. */
const dueWithin = async (store: EventStore, mid: string, ms: number): Promise<number | undefined> => {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if ((await store.read(triageStream(mid))).some((e) => e.type === 'MessageDue')) return Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return undefined;
};

describe('the scheduler, woken by the folds', () => {
  it('looks at the wakes of one turn once, and asks nothing when no timer can be due', async () => {
    const { state, calls } = openState();
    const scheduler = schedulerOver(state, createMemoryEventStore(), fixedClock(new Date(T0)));
    await scheduler.pass();
    // A full pass (the poll's): claims of earlier runs, the due timers, the next one, the count.
    expect(calls.splice(0)).toEqual(['claimsOfEarlierRuns', 'due', 'next', 'count']);
    scheduler.wake();
    scheduler.wake();
    scheduler.wake(T0 + 5_000);
    await turn();
    await turn();
    expect(calls).toEqual([]);
    scheduler.wake(T0 + 5_000);
    scheduler.wake(T0);
    scheduler.wake();
    scheduler.wake(T0 - 1_000);
    await turn();
    await turn();
    expect(calls.splice(0)).toEqual(['due', 'next']);
    // That pass read the timers again: none, so nothing is due any more.
    scheduler.wake();
    await turn();
    await turn();
    expect(calls).toEqual([]);
  });

  it('asks nothing after the batches of sends that set no timer', async () => {
    const { state, calls } = openState();
    const store = createMemoryEventStore();
    const reactors = reactorsOver(state, store, fixedClock(new Date(T0)));
    await reactors.settle();
    calls.splice(0);
    const commands = commandsOf(store);
    for (let i = 0; i < 5; i += 1)
      await commands.send(ctx(new Date(T0)), asMessageId(randomUUID()), asUserId('bob'), { msg: `hi ${i}`, opts: {} });
    await reactors.waitFor(await store.head(), 5_000);
    await turn();
    await turn();
    // Triage planned them (each appended its MessageTriaged, which dispatch folded) ...
    expect((await store.readAll({ after: 0, limit: 1_000 })).filter((e) => e.type === 'MessageTriaged')).toHaveLength(
      5,
    );
    // ... and the scheduler, woken after each batch, asked the state nothing.
    expect(calls).toEqual([]);
  });

  it('fires a timer a batch set due now at once, not at the poll', async () => {
    const { state, calls } = openState();
    const store = createMemoryEventStore();
    // The reactors' clock is an hour past the message's schedule: its timer is due when set.
    const reactors = reactorsOver(state, store, fixedClock(new Date(T0 + 3_600_000)));
    await reactors.settle();
    calls.splice(0);
    const mid = asMessageId(randomUUID());
    await commandsOf(store).send(ctx(new Date(T0)), mid, asUserId('bob'), {
      msg: 'later',
      opts: {},
      scheduled: new Date(T0 + 60_000),
    });
    expect(await dueWithin(store, mid, 5_000)).toBeDefined();
    // A wake's pass, not a full one (the poll's, 60 s away).
    expect(calls).not.toContain('claimsOfEarlierRuns');
    expect(calls).toContain('due');
  });

  it('fires a timer set 300 ms ahead at about 300 ms, not at the next poll', async () => {
    const { state } = openState();
    const store = createMemoryEventStore();
    const reactors = reactorsOver(state, store, systemClock);
    await reactors.settle();
    const mid = asMessageId(randomUUID());
    const sent = Date.now();
    await commandsOf(store).send(ctx(new Date(sent)), mid, asUserId('bob'), {
      msg: 'soon',
      opts: {},
      scheduled: new Date(sent + 300),
    });
    const at = await dueWithin(store, mid, 5_000);
    expect(at).toBeDefined();
    expect(at ?? 0).toBeGreaterThanOrEqual(sent + 300);
    // Well before the poll; generous for a loaded machine.
    expect(at ?? Number.POSITIVE_INFINITY).toBeLessThan(sent + 2_000);
  });
});
