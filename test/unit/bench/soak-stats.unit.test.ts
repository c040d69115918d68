import { describe, expect, it } from 'vitest';
import { slope, verdict, type Interval, type Sample } from '../../../bench/soak-stats.js';

// The soak benchmark's verdict (bench/soak-stats.ts) must fail on what it exists to catch: a
// memory trend, lag that keeps rising, a growing latency, errors and shedding.
const SECONDS = 600;
const samples = (rss: (t: number) => number, lag: (t: number) => number): Sample[] =>
  Array.from({ length: SECONDS }, (_, i) => ({ t: i + 1, rssMiB: rss(i + 1), lagMs: lag(i + 1) }));
const intervals = (p99: (t: number) => number, extra: Partial<Interval> = {}): Interval[] =>
  Array.from({ length: SECONDS / 30 }, (_, i) => ({
    t: (i + 1) * 30,
    ops: 30_000,
    opsPerSec: 1_000,
    p50Ms: 3,
    p99Ms: p99((i + 1) * 30),
    errors: {},
    shed: 0,
    loadAvg: 2,
    backlog: 0,
    rssMiB: 200,
    lagP50Ms: 2,
    lagP99Ms: 5,
    wsSessions: 40,
    wsFrames: 100,
    wsOpened: 60,
    ...extra,
  }));
// Noise that averages out: a flat series with a sawtooth, as garbage collection makes.
const noisy = (base: number, amp: number) => (t: number) => base + amp * ((t % 7) / 7 - 0.5);

describe('soak verdict', () => {
  it('slope is the least-squares trend', () => {
    expect(slope([0, 1, 2, 3].map((x) => ({ x, y: 5 + 2 * x })))).toBeCloseTo(2);
    expect(slope([{ x: 1, y: 1 }])).toBe(0);
  });

  it('passes a flat, noisy run', () => {
    const v = verdict(intervals(noisy(20, 10)), samples(noisy(200, 30), noisy(3, 4)), SECONDS);
    expect(v.lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
    expect(v.ok).toBe(true);
  });

  it('fails a leak of 0.2 MiB a second, lag that rises, a p99 that grows, errors, and shedding past 1%', () => {
    const flat = intervals(noisy(20, 10));
    expect(
      verdict(
        flat,
        samples((t) => 200 + 0.2 * t, noisy(3, 4)),
        SECONDS,
      ).ok,
    ).toBe(false);
    expect(
      verdict(
        flat,
        samples(noisy(200, 30), (t) => 3 + t / 5),
        SECONDS,
      ).ok,
    ).toBe(false);
    expect(
      verdict(
        intervals((t) => 20 + t),
        samples(noisy(200, 30), noisy(3, 4)),
        SECONDS,
      ).ok,
    ).toBe(false);
    const steady = samples(noisy(200, 30), noisy(3, 4));
    expect(verdict(intervals(noisy(20, 10), { errors: { 'send 500': 1 } }), steady, SECONDS).ok).toBe(false);
    expect(verdict(intervals(noisy(20, 10), { shed: 301 }), steady, SECONDS).ok).toBe(false);
    expect(verdict(intervals(noisy(20, 10), { shed: 299 }), steady, SECONDS).ok).toBe(true);
  });
});
