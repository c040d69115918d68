import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { createBucketTable } from '../../../api/rate-limits.js';
import { allocateSharedBuckets, sharedBucketTable } from '../../../api/shared-buckets.js';

const shared = (rate: { perSec: number; burst: number }, size: number) =>
  sharedBucketTable(rate, allocateSharedBuckets(size));

describe('the shared bucket table', () => {
  it('answers as the Map table does for one sequence of takes and peeks (burst, refusal, refill)', () => {
    const rate = { perSec: 10, burst: 3 };
    const map = createBucketTable(rate, 100);
    const mem = shared(rate, 100);
    // Keys, times and operations mixed so that buckets empty, wait, refill partly and fully.
    let seed = 7;
    const next = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    let now = 0;
    for (let i = 0; i < 5000; i += 1) {
      now += next(4) === 0 ? next(400) : 0;
      const key = `k${next(5)}`;
      const op = next(5) === 0 ? 'peek' : 'take';
      expect(mem[op](key, now)).toBeCloseTo(map[op](key, now), 9);
    }
    expect(mem.size()).toBe(map.size());
  });

  it('gives its burst at once, refuses with the time until the next token, and refills to the burst only', () => {
    const t = shared({ perSec: 10, burst: 3 }, 100);
    expect([t.take('k', 0), t.take('k', 0), t.take('k', 0)]).toEqual([0, 0, 0]);
    expect(t.take('k', 0)).toBeCloseTo(100);
    expect(t.take('k', 60)).toBeCloseTo(40);
    expect(t.take('k', 100)).toBe(0);
    expect([1, 2, 3, 4].map(() => t.take('k', 10_100))).toEqual([0, 0, 0, 100]);
    expect(t.peek('other', 0)).toBe(0);
    expect(t.size()).toBe(1);
  });

  it('keeps its memory fixed whatever keys are sent, and keeps a key that keeps coming', () => {
    const memory = allocateSharedBuckets(1000);
    const bytes = memory.byteLength;
    const t = sharedBucketTable({ perSec: 1, burst: 2 }, memory);
    t.take('busy', 0);
    t.take('busy', 0);
    for (let i = 0; i < 100_000; i += 1) {
      t.take(`attacker-${i}`, 0);
      if (i % 50 === 0) expect(t.take('busy', 0)).toBeGreaterThan(0);
    }
    expect(t.size()).toBeLessThanOrEqual(1000);
    expect(memory.byteLength).toBe(bytes);
    // Still empty: never forgotten, so churning keys did not hand it a fresh burst.
    expect(t.take('busy', 0)).toBeGreaterThan(0);
  });

  it('forgets a bucket that refilled before one still short of its burst', () => {
    // One set of eight: the table's whole memory.
    const t = shared({ perSec: 1, burst: 2 }, 8);
    t.take('short', 1000);
    t.take('short', 1000);
    for (let i = 0; i < 7; i += 1) t.take(`idle-${i}`, 0);
    // At 2 s the idle keys have refilled (1 + 2 s × 1/s ≥ 2); 'short' (0 + 1 s) has not.
    for (let i = 0; i < 7; i += 1) t.take(`new-${i}`, 2000);
    expect(t.take('short', 2000)).toBe(0);
    expect(t.take('short', 2000)).toBeGreaterThan(0);
    expect(t.size()).toBe(8);
  });

  it('never grants more than burst + refill to two threads taking from one key at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'msgxc-buckets-'));
    const script = join(dir, 'taker.mjs');
    const source = `
      import { workerData, parentPort } from 'node:worker_threads';
      import { sharedBucketTable } from './api/shared-buckets.ts';
      const { memory, start, rate, ms } = workerData;
      const table = sharedBucketTable(rate, memory);
      Atomics.wait(start, 0, 0);
      const until = Date.now() + ms;
      let granted = 0;
      for (let now = Date.now(); now < until; now = Date.now()) if (table.take('k', now) === 0) granted += 1;
      parentPort.postMessage(granted);`;
    const built = buildSync({
      stdin: { contents: source, resolveDir: resolve('.'), loader: 'js' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
    });
    writeFileSync(script, built.outputFiles[0]?.text ?? '');
    const rate = { perSec: 2000, burst: 100 };
    const memory = allocateSharedBuckets(64);
    const start = new Int32Array(new SharedArrayBuffer(4));
    const ms = 300;
    const workers = [0, 1].map(() => new Worker(pathToFileURL(script), { workerData: { memory, start, rate, ms } }));
    const counts = workers.map((w) => new Promise<number>((ok, fail) => w.once('message', ok).once('error', fail)));
    await new Promise((r) => setTimeout(r, 200));
    const began = Date.now();
    Atomics.store(start, 0, 1);
    Atomics.notify(start, 0);
    const [a = 0, b = 0] = await Promise.all(counts);
    const elapsed = Date.now() - began;
    await Promise.all(workers.map((w) => w.terminate()));
    // Both threads took from the key, and together they never passed one bucket's budget.
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
    expect(a + b).toBeGreaterThan(rate.burst);
    expect(a + b).toBeLessThanOrEqual(rate.burst + Math.ceil((rate.perSec * elapsed) / 1000));
  });
});
