// The soak benchmark's figures (bench/soak.ts): percentiles, one row per interval, and the
// verdict on growth. Pure functions, so the verdict's arithmetic can be read on its own.

export const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN);

export const sortNumbers = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);

/** Least-squares slope of y over x (units of y per unit of x); 0 with fewer than two points. */
export const slope = (points: readonly { x: number; y: number }[]): number => {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
};

export interface Interval {
  /** Seconds since the soak began, at the interval's end. */
  readonly t: number;
  readonly ops: number;
  readonly opsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Non-2xx answers and failed requests, by kind. */
  readonly errors: Readonly<Record<string, number>>;
  /** Answered 503 Overloaded (shed by the node, nothing ran). */
  readonly shed: number;
  /** One-minute load average of the machine (shared: other processes' load shows here). */
  readonly loadAvg: number;
  /** Operations the client could not start because too many were already waiting (the server fell behind). */
  readonly backlog: number;
  readonly rssMiB: number;
  readonly lagP50Ms: number;
  readonly lagP99Ms: number;
  readonly wsSessions: number;
  readonly wsFrames: number;
  readonly wsOpened: number;
}

export interface Sample {
  /** Seconds since the soak began. */
  readonly t: number;
  readonly rssMiB: number;
  readonly lagMs: number;
}

/**
 * The bounds (stated before the run, docs in BENCHMARKS.md). Over the steady part of the run
 * (after the first fifth, a warm-up in which caches, JIT and SQLite's page cache fill):
 * - RSS: the least-squares trend, projected over the steady part, grows less than
 *   `rssGrowthMiB` (64 MiB: a leak of 100 bytes per operation at 1,000 operations a second
 *   is 60 MiB in 10 minutes, and is caught).
 * - Event-loop lag: its least-squares trend over the steady part grows less than 50 ms, and
 *   the p99 of the last third's samples is at most twice the first steady third's plus 20 ms
 *   (lag that keeps rising is a node falling behind).
 * - Latency: the last interval's p99 is at most three times the first steady interval's plus
 *   20 ms (the figures on 2 shared cores are noisy; a queue that grows is not).
 * - Errors: none, and no backlog (the client never had to hold back an operation).
 * - Shedding (503 Overloaded, the node protecting itself): at most 1% of operations. At 80% of
 *   capacity there should be none; on a machine shared with other work, a burst of someone
 *   else's load can push the node past MSGXC_SHED_LAG_MS for a moment.
 */
export const BOUNDS = {
  rssGrowthMiB: 64,
  lagGrowthMs: 50,
  lagFactor: 2,
  lagSlackMs: 20,
  p99Factor: 3,
  p99SlackMs: 20,
  shedFraction: 0.01,
} as const;

export interface Verdict {
  readonly ok: boolean;
  readonly lines: readonly string[];
}

export const verdict = (intervals: readonly Interval[], samples: readonly Sample[], seconds: number): Verdict => {
  const warm = seconds / 5;
  const steady = samples.filter((s) => s.t >= warm);
  const rssSlope = slope(steady.map((s) => ({ x: s.t, y: s.rssMiB })));
  const rssGrowth = rssSlope * (seconds - warm);
  const third = (seconds - warm) / 3;
  const lagOf = (from: number, to: number): number =>
    percentile(sortNumbers(steady.filter((s) => s.t >= from && s.t < to).map((s) => s.lagMs)), 0.99);
  const lagGrowth = slope(steady.map((s) => ({ x: s.t, y: s.lagMs }))) * (seconds - warm);
  const lagFirst = lagOf(warm, warm + third);
  const lagLast = lagOf(seconds - third, Number.POSITIVE_INFINITY);
  const steadyIntervals = intervals.filter((i) => i.t > warm);
  const first = steadyIntervals[0];
  const last = steadyIntervals.at(-1);
  const errors = intervals.reduce((n, i) => n + Object.values(i.errors).reduce((a, b) => a + b, 0), 0);
  const backlog = intervals.reduce((n, i) => n + i.backlog, 0);
  const shed = intervals.reduce((n, i) => n + i.shed, 0);
  const ops = intervals.reduce((n, i) => n + i.ops, 0);
  const checks: [boolean, string][] = [
    [
      rssGrowth < BOUNDS.rssGrowthMiB,
      `RSS trend over the steady ${(seconds - warm).toFixed(0)} s: ${rssGrowth.toFixed(1)} MiB (${(rssSlope * 60).toFixed(2)} MiB/min); bound < ${BOUNDS.rssGrowthMiB} MiB`,
    ],
    [
      lagGrowth < BOUNDS.lagGrowthMs,
      `event-loop lag trend over the steady part: ${lagGrowth.toFixed(1)} ms; bound < ${BOUNDS.lagGrowthMs} ms`,
    ],
    [
      lagLast <= lagFirst * BOUNDS.lagFactor + BOUNDS.lagSlackMs,
      `event-loop lag p99: first steady third ${lagFirst.toFixed(1)} ms, last third ${lagLast.toFixed(1)} ms; bound <= ${BOUNDS.lagFactor} x first + ${BOUNDS.lagSlackMs} ms`,
    ],
    [
      first !== undefined && last !== undefined && last.p99Ms <= first.p99Ms * BOUNDS.p99Factor + BOUNDS.p99SlackMs,
      `latency p99: first steady interval ${first?.p99Ms.toFixed(1) ?? '-'} ms, last ${last?.p99Ms.toFixed(1) ?? '-'} ms; bound <= ${BOUNDS.p99Factor} x first + ${BOUNDS.p99SlackMs} ms`,
    ],
    [errors === 0 && backlog === 0, `errors: ${errors}, operations held back by the client: ${backlog}; bound 0`],
    [
      shed <= ops * BOUNDS.shedFraction,
      `shed (503 Overloaded): ${shed} of ${ops} operations; bound <= ${BOUNDS.shedFraction * 100}%`,
    ],
  ];
  return { ok: checks.every(([ok]) => ok), lines: checks.map(([ok, line]) => `${ok ? 'ok  ' : 'FAIL'} ${line}`) };
};

export const formatRow = (i: Interval): string =>
  [
    i.t.toFixed(0).padStart(5),
    i.opsPerSec.toFixed(0).padStart(6),
    i.p50Ms.toFixed(1).padStart(6),
    i.p99Ms.toFixed(1).padStart(7),
    String(Object.values(i.errors).reduce((a, b) => a + b, 0) + i.backlog).padStart(6),
    String(i.shed).padStart(5),
    i.rssMiB.toFixed(0).padStart(6),
    i.lagP50Ms.toFixed(1).padStart(7),
    i.lagP99Ms.toFixed(1).padStart(7),
    String(i.wsSessions).padStart(5),
    String(i.wsOpened).padStart(6),
    String(i.wsFrames).padStart(7),
    i.loadAvg.toFixed(1).padStart(5),
  ].join(' ');

export const HEADER = '    t  ops/s  p50ms   p99ms errors  shed RSSMiB lag50ms lag99ms   ws wsopen wsframe  load';
