// The comparison as a Markdown table for BENCHMARKS.md: the median of each figure over the
// runs (with the range when there were several), and ratios of the medians oriented so that
// above 1 always means msgxc does better (more per second or per CPU-second, fewer bytes,
// less latency).
import type { Run } from './measure.js';
import { median } from '../median.js';

interface Metric {
  label: string;
  get: (r: Run) => number;
  fmt: (x: number) => string;
  higherIsBetter: boolean;
}

const k = (x: number): string =>
  x >= 10_000 ? `${Math.round(x / 1000).toLocaleString('en')}k` : Math.round(x).toLocaleString('en');
const f1 = (x: number): string => x.toFixed(1);
const f2 = (x: number): string => x.toFixed(2);

const metrics = (connections: number): Metric[] => [
  { label: 'delivered msgs/s during the burst', get: (r) => r.burstRate, fmt: k, higherIsBetter: true },
  { label: 'server CPU-s during the burst', get: (r) => r.burstCpuS, fmt: f2, higherIsBetter: false },
  { label: 'server CPU-s until idle again', get: (r) => r.idleCpuS, fmt: f1, higherIsBetter: false },
  {
    label: 'seconds until idle again (from the first publish)',
    get: (r) => r.idleSeconds,
    fmt: f1,
    higherIsBetter: false,
  },
  { label: 'deliveries per server CPU-second, burst only', get: (r) => r.perCpuBurst, fmt: k, higherIsBetter: true },
  {
    label: 'deliveries per server CPU-second, until idle',
    get: (r) => r.perCpuUntilIdle,
    fmt: k,
    higherIsBetter: true,
  },
  {
    label: `memory per idle connection, KB (${connections.toLocaleString('en')}; RSS after GC)`,
    get: (r) => r.memPerConnKb,
    fmt: f1,
    higherIsBetter: false,
  },
  { label: 'same, RSS less the free heap', get: (r) => r.livePerConnKb, fmt: f1, higherIsBetter: false },
  { label: 'publish -> receive p50 ms, paced', get: (r) => r.pacedP50ms, fmt: f1, higherIsBetter: false },
  { label: 'publish -> receive p99 ms, paced', get: (r) => r.pacedP99ms, fmt: f1, higherIsBetter: false },
  { label: 'load client CPU-s during the burst', get: (r) => r.burstClientCpuS, fmt: f2, higherIsBetter: false },
];

const cell = (m: Metric, runs: readonly Run[]): string => {
  const xs = runs.map(m.get);
  if (xs.length === 0) return '';
  const med = m.fmt(median(xs));
  return xs.length === 1 ? med : `${med} (${m.fmt(Math.min(...xs))}-${m.fmt(Math.max(...xs))})`;
};

const ratio = (m: Metric, ours: readonly Run[], theirs: readonly Run[]): string => {
  if (ours.length === 0 || theirs.length === 0) return '';
  const a = median(ours.map(m.get));
  const b = median(theirs.map(m.get));
  const r = m.higherIsBetter ? a / b : b / a;
  return `${r.toFixed(2)}x`;
};

/** One column for `reference`, then one column and one ratio column for every other server. */
export const table = (runs: readonly Run[], names: readonly string[], reference: string): string => {
  const of = (name: string): Run[] => runs.filter((r) => r.server === name);
  const ref = of(reference);
  const ours = names.filter((n) => n !== reference);
  const head = ['', reference, ...ours.flatMap((n) => [n, 'ratio'])];
  // A metric no run measured (the memory rows under --no-memory) is left out, not shown as NaN.
  const measured = (m: Metric): boolean => runs.some((r) => Number.isFinite(m.get(r)));
  const rows = metrics(runs[0]?.connections ?? 0)
    .filter(measured)
    .map((m) =>
      ['', m.label, cell(m, ref), ...ours.flatMap((n) => [cell(m, of(n)), ratio(m, of(n), ref)]), '']
        .join(' | ')
        .trim(),
    );
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows].join('\n');
};
