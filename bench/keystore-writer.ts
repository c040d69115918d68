// The key store's writer on the event loop or in its own thread (issue 15, "a send path that
// never blocks on fsync"): a notification service sending to people the broker has not seen
// yet asks for a new data key per person. `node dist/bench/keystore-writer.js [owners] [rounds]`
// asks for `owners` new keys in bursts of 64 (wrk's connections in bench/ingest.ts), awaiting
// each burst, with each writer alternately in one process, and reports the event loop's busy
// time per key (performance.eventLoopUtilization: a synchronous fsync counts as busy) and the
// wall time per burst.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createSqliteKeyStore } from '../adapters/keystore/sqlite.js';
import { median } from './median.js';

const OWNERS = Number(process.argv[2] ?? 10_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const BURST = 64;

const run = async (dir: string, writer: 'loop' | 'thread', round: number) => {
  const keys = createSqliteKeyStore(join(dir, `keys-${writer}-${String(round)}.db`), { writer });
  await keys.keyFor('warm-up');
  const before = performance.eventLoopUtilization();
  const started = performance.now();
  for (let i = 0; i < OWNERS; i += BURST) {
    const burst = Array.from(
      { length: Math.min(BURST, OWNERS - i) },
      (_, j) => `user-${String(round)}-${String(i + j)}`,
    );
    await Promise.all(burst.map((o) => keys.keyFor(o)));
  }
  const wall = performance.now() - started;
  const elu = performance.eventLoopUtilization(before);
  await keys.close();
  return { busyUsPerKey: (elu.active * 1000) / OWNERS, msPerBurst: wall / Math.ceil(OWNERS / BURST) };
};

const main = async (): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-bench-keys-'));
  const got: Record<'loop' | 'thread', { busy: number[]; burst: number[] }> = {
    loop: { busy: [], burst: [] },
    thread: { busy: [], burst: [] },
  };
  try {
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const writer of round % 2 === 0 ? (['loop', 'thread'] as const) : (['thread', 'loop'] as const)) {
        const r = await run(dir, writer, round);
        got[writer].busy.push(r.busyUsPerKey);
        got[writer].burst.push(r.msPerBurst);
        console.log(
          `round ${String(round)} ${writer.padEnd(6)} loop busy ${r.busyUsPerKey.toFixed(1)} us/key, ${r.msPerBurst.toFixed(2)} ms/burst (load ${loadavg()[0]?.toFixed(1) ?? '?'})`,
        );
      }
    }
    const [l, t] = [median(got.loop.busy), median(got.thread.busy)];
    console.log(
      `medians over ${String(ROUNDS)} rounds of ${String(OWNERS)} new owners: loop busy per key ${l.toFixed(1)} us (loop writer) vs ${t.toFixed(1)} us (thread writer), ratio ${(l / t).toFixed(2)}x; ms per burst of ${String(BURST)} ${median(got.loop.burst).toFixed(2)} vs ${median(got.thread.burst).toFixed(2)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

await main();
