// Appends per second: memory vs SQLite group commit vs SQLite one transaction per append,
// with 1 and with 64 concurrent appenders, each appending one event at a time to its own
// stream with an exact expected revision (what the command handler does).
//   npm run build && node dist/bench/eventstore-append.js [seconds per cell, default 3, split over 3 rounds]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryEventStore } from '../adapters/eventstore/memory.js';
import type { EventStore } from '../ports/eventstore.js';
import { createSqliteEventStore } from '../adapters/eventstore/sqlite.js';

interface Variant {
  readonly name: string;
  readonly open: (file: string) => EventStore & { stats?: () => { commits: number } };
}
const variants: readonly Variant[] = [
  { name: 'sqlite group commit', open: (file) => createSqliteEventStore({ file }) },
  { name: 'sqlite group commit, writer thread', open: (file) => createSqliteEventStore({ file, writerThread: true }) },
  { name: 'sqlite txn per append', open: (file) => createSqliteEventStore({ file, maxBatch: 1 }) },
  // Last in each round: the garbage its large in-memory log leaves must not slow the next cell.
  { name: 'memory', open: () => createMemoryEventStore() },
];
const concurrencies = [1, 64] as const;
const seconds = Number(process.argv[2] ?? '3');
const rounds = 3;

const metadata = {
  eventId: 'bench',
  occurredAt: new Date(0).toISOString(),
  actor: { uid: 'bench-user', roles: ['publisher'] },
  correlationId: 'bench-correlation',
  causationId: 'bench-causation',
};
const data = {
  mid: 'm-0001',
  from: 'bench-user',
  audience: { users: ['a', 'b', 'c'] },
  msg: 'hello '.repeat(40),
  opts: {},
};

interface Run {
  readonly count: number;
  readonly elapsed: number;
  readonly commits: number | undefined;
}

const measure = async (variant: Variant, concurrency: number, seconds: number): Promise<Run> => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-bench-'));
  const store = variant.open(join(dir, 'events.db'));
  let count = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const appender = async (k: number): Promise<void> => {
    for (let revision = -1; performance.now() < deadline; revision++) {
      const r = await store.append(
        `bench-${String(k)}`,
        [{ type: 'MessagePublished', data, metadata }],
        revision === -1 ? 'no_stream' : revision,
      );
      if (r.kind !== 'appended') throw new Error('unexpected conflict');
      count++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, k) => appender(k)));
  const elapsed = (performance.now() - started) / 1000;
  const commits = store.stats?.().commits;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return { count, elapsed, commits };
};

// The disk is shared with whatever else runs on the machine, so the cells take turns in
// short rounds instead of one long run each: a noisy moment then hurts every cell alike.
interface Cell {
  readonly variant: Variant;
  readonly concurrency: number;
  count: number;
  elapsed: number;
  commits: number | undefined;
}
const cells: Cell[] = concurrencies.flatMap((concurrency) =>
  variants.map((variant) => ({ variant, concurrency, count: 0, elapsed: 0, commits: undefined })),
);
for (let round = 0; round < rounds; round++) {
  for (const cell of cells) {
    const run = await measure(cell.variant, cell.concurrency, seconds / rounds);
    cell.count += run.count;
    cell.elapsed += run.elapsed;
    if (run.commits !== undefined) cell.commits = (cell.commits ?? 0) + run.commits;
  }
}

const rate = (c: Cell | undefined): number => (c ? c.count / c.elapsed : Number.NaN);
const rateOf = (variant: string, concurrency: number): number =>
  rate(cells.find((c) => c.variant.name === variant && c.concurrency === concurrency));
const fmt = (n: number, width: number): string => n.toFixed(n >= 100 ? 0 : 2).padStart(width);
console.log(
  `${'store'.padEnd(24)}${'appenders'.padStart(10)}${'appends/s'.padStart(12)}${'appends/commit'.padStart(16)}${'x per-append'.padStart(14)}${'x memory'.padStart(10)}`,
);
for (const c of cells) {
  const r = rate(c);
  const perCommit = c.commits === undefined ? '-'.padStart(16) : fmt(c.count / Math.max(c.commits, 1), 16);
  console.log(
    `${c.variant.name.padEnd(24)}${String(c.concurrency).padStart(10)}${fmt(r, 12)}${perCommit}` +
      `${fmt(r / rateOf('sqlite txn per append', c.concurrency), 14)}${fmt(r / rateOf('memory', c.concurrency), 10)}`,
  );
}
