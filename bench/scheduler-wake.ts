// What a scheduler wake costs on the main thread (issue 15): the triage and dispatch folds wake
// it after every batch, which under sustained sends is every commit. Before, each wake was a
// full pass over reactors.db (claims of earlier runs, due timers, the next one, the count); now
// a wake with nothing due asks nothing. Both in one process, alternated round by round, over
// the same SQLite delivery state holding `timers` future timers (none due):
//   node dist/bench/scheduler-wake.js [timers=10000] [wakes=20000] [rounds=5]
// `full pass` is what every wake cost before (the poll's pass now); `wake` what one costs now
// when no timer can be due; both include one turn of the event loop (a wake is looked at in the next).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../adapters/clock/clock.js';
import { openSqliteDeliveryState } from '../adapters/delivery-state/sqlite.js';
import { createMemoryEventStore } from '../adapters/eventstore/memory.js';
import { createCommands } from '../commands/index.js';
import { createDispatcher, DEFAULT_DISPATCH_SETTINGS } from '../delivery/dispatch.js';
import { createScheduler } from '../delivery/scheduler.js';
import { silentLog } from '../delivery/types.js';
import { median } from './median.js';

const TIMERS = Number(process.argv[2] ?? 10_000);
const WAKES = Number(process.argv[3] ?? 20_000);
const ROUNDS = Number(process.argv[4] ?? 5);

const turn = (): Promise<void> =>
  new Promise((resolve) => {
    setImmediate(resolve);
  });

/** CPU microseconds (user + system) per iteration of `step`. */
const cpuPer = async (n: number, step: () => Promise<void>): Promise<number> => {
  const before = process.cpuUsage();
  for (let i = 0; i < n; i += 1) await step();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
};

const main = async (): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-bench-wake-'));
  const state = openSqliteDeliveryState(join(dir, 'reactors.db'));
  try {
    const store = createMemoryEventStore();
    const later = Date.now() + 3_600_000;
    await state.commit({
      timers: Array.from({ length: TIMERS }, (_, i) => ({
        kind: 'group' as const,
        key: `g-${String(i)}`,
        at: later + i,
      })),
    });
    const common = { state, store, clock: systemClock, node: 'bench', run: randomUUID(), log: silentLog };
    const dispatcher = createDispatcher({
      ...common,
      channels: {},
      settings: DEFAULT_DISPATCH_SETTINGS,
      random: Math.random,
      revokeDevice: createCommands({ store, ids: { randomId: randomUUID } }).revokeDevice,
      stopped: () => false,
    });
    const scheduler = createScheduler({ ...common, dispatcher, pollMs: 3_600_000, ready: () => true });
    await scheduler.pass();
    const full: number[] = [];
    const wake: number[] = [];
    for (let r = 0; r < ROUNDS; r += 1) {
      const passes = Math.max(1, WAKES / 10);
      const runFull = async (): Promise<void> => {
        full.push(
          await cpuPer(passes, async () => {
            await scheduler.pass();
            await turn();
          }),
        );
      };
      const runWake = async (): Promise<void> => {
        wake.push(
          await cpuPer(WAKES, async () => {
            scheduler.wake();
            await turn();
          }),
        );
      };
      if (r % 2 === 0) {
        await runFull();
        await runWake();
      } else {
        await runWake();
        await runFull();
      }
    }
    scheduler.stop();
    const f = median(full);
    const w = median(wake);
    console.log(`| timers | full pass us | wake us | full/wake | load avg |`);
    console.log(`|---|---|---|---|---|`);
    console.log(
      `| ${String(TIMERS)} | ${f.toFixed(1)} | ${w.toFixed(1)} | ${(f / w).toFixed(1)} | ${loadavg()[0]?.toFixed(1) ?? ''} |`,
    );
    console.log(`full: ${full.map((x) => x.toFixed(1)).join(' ')}; wake: ${wake.map((x) => x.toFixed(1)).join(' ')}`);
  } finally {
    await state.close();
    rmSync(dir, { recursive: true, force: true });
  }
};

await main();
