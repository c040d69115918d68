// The cost of one rate-limit take(): the Map table (api/rate-limits.ts createBucketTable, what
// each thread had before) against the shared-memory table every HTTP thread now spends from
// (api/shared-buckets.ts), in one process, alternated round by round so that the machine's
// load falls on both. Keys are user ids from a population of `keys`, drawn at random (a table
// that is warm, as a node's is), at the default rate and table size.
//
//   npx tsc -p tsconfig.build.json && node dist/bench/rate-buckets.js [keys] [rounds]
import { createBucketTable } from '../api/rate-limits.js';
import { allocateSharedBuckets, sharedBucketTable } from '../api/shared-buckets.js';
import { DEFAULT_LIMITS } from '../schema/config-limits.js';
import { median } from './median.js';

const keys = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 12);
const TAKES = 1_000_000;
const rate = { perSec: 100, burst: 200 };
const size = DEFAULT_LIMITS.rates.tableSize;
const names = Array.from({ length: keys }, (_, i) => `user-${i.toString(36)}-${(i * 7919).toString(16)}`);
let seed = 1;
const order = Uint32Array.from({ length: TAKES }, () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed % keys;
});

type Table = { take(key: string, now: number): number };
const tables: Record<'map' | 'shared', () => Table> = {
  map: () => createBucketTable(rate, size),
  shared: () => sharedBucketTable(rate, allocateSharedBuckets(size)),
};
/** Nanoseconds per take over TAKES takes on a fresh table, time advancing 1 ms per 100 takes. */
const run = (make: () => Table): number => {
  const t = make();
  let refused = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < TAKES; i += 1) if (t.take(names[order[i] ?? 0] ?? '', Math.floor(i / 100)) > 0) refused += 1;
  const ns = Number(process.hrtime.bigint() - started) / TAKES;
  if (refused < 0) throw new Error('unreachable: keeps the loop honest');
  return ns;
};

// One warm-up of each so that both are compiled before measuring.
run(tables.map);
run(tables.shared);
const times = { map: [] as number[], shared: [] as number[] };
for (let r = 0; r < rounds; r += 1)
  for (const k of r % 2 === 0 ? (['map', 'shared'] as const) : (['shared', 'map'] as const))
    times[k].push(run(tables[k]));
const map = median(times.map);
const shared = median(times.shared);
console.log(
  JSON.stringify({
    keys,
    rounds,
    takes: TAKES,
    mapNsPerTake: Number(map.toFixed(1)),
    sharedNsPerTake: Number(shared.toFixed(1)),
    ratio: Number((shared / map).toFixed(2)),
  }),
);
