// The Cassandra key store's first contacts (issue 15, "durable ingest" on the production stack):
// 64 callers (wrk's connections in bench/ingest.ts) each ask for a new person's data key, then
// the next, for BENCH_SECONDS; this branch's adapter (keys asked for in one turn read and written
// together) alternated with a baseline's (BENCH_BASE_KEYSTORE, a path to another checkout's
// adapters/keystore/cassandra.ts: main's, one SELECT then one INSERT per owner) on the same
// Cassandra (started from test/infra, or MSGXC_TEST_CASSANDRA_PORT), each round in a keyspace of
// its own. Reports keys/s and the latency of one ask.
//   BENCH_BASE_KEYSTORE=/tmp/base/adapters/keystore/cassandra.ts npx vite-node bench/keystore-cassandra.ts
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { openCassandraKeyStore } from '../adapters/keystore/cassandra.js';
import { createCassandraClient } from '../adapters/read-store/cassandra.js';
import { median } from './median.js';
import { startProductionStack } from './production-stack.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const CALLERS = 64;
const basePath = process.env['BENCH_BASE_KEYSTORE'];
if (basePath === undefined) throw new Error('BENCH_BASE_KEYSTORE: the baseline adapter to compare with');
const base = (await import(basePath)) as { openCassandraKeyStore: typeof openCassandraKeyStore };
const stack = await startProductionStack(['cassandra']);
console.log(`cassandra: ${stack.started}`);
const contactPoints = [
  `${process.env['MSGXC_TEST_CASSANDRA_CONTACT_POINT'] ?? '127.0.0.1'}:${process.env['MSGXC_TEST_CASSANDRA_PORT'] ?? ''}`,
];
const localDataCenter = process.env['MSGXC_TEST_CASSANDRA_DC'] ?? 'datacenter1';
const at = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

const run = async (which: 'branch' | 'base', round: number) => {
  const keyspace = `bench_keys_${randomBytes(4).toString('hex')}`;
  const open = which === 'branch' ? openCassandraKeyStore : base.openCassandraKeyStore;
  const client = createCassandraClient({ contactPoints, localDataCenter });
  const keys = open({ client, keyspace, replication: { class: 'SimpleStrategy', replication_factor: 1 } });
  await keys.keyFor('warm-up');
  const lat: number[] = [];
  let next = 0;
  const until = performance.now() + SECONDS * 1000;
  const caller = async (): Promise<void> => {
    while (performance.now() < until) {
      next += 1;
      const t = performance.now();
      await keys.keyFor(`user-${String(round)}-${String(next)}`);
      lat.push(performance.now() - t);
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: CALLERS }, caller));
  const wall = performance.now() - began;
  await keys.close();
  await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`, [], { readTimeout: 60_000 });
  await client.shutdown();
  lat.sort((a, b) => a - b);
  return { perSecond: lat.length / (wall / 1000), p50: at(lat, 0.5), p99: at(lat, 0.99) };
};

const got = { branch: [] as number[], base: [] as number[] };
try {
  for (let round = 0; round < ROUNDS; round += 1)
    for (const which of round % 2 === 0 ? (['branch', 'base'] as const) : (['base', 'branch'] as const)) {
      const r = await run(which, round);
      got[which].push(r.perSecond);
      console.log(
        `round ${String(round)} ${which.padEnd(6)} ${r.perSecond.toFixed(0)} new keys/s, ask p50 ${r.p50.toFixed(1)} ms p99 ${r.p99.toFixed(1)} ms (${String(CALLERS)} callers, load ${loadavg()[0]?.toFixed(1) ?? '?'})`,
      );
    }
  const ratios = got.branch.map((b, i) => b / (got.base[i] ?? 1));
  console.log(
    `medians over ${String(ROUNDS)} rounds: branch ${median(got.branch).toFixed(0)} keys/s, base ${median(got.base).toFixed(0)} keys/s; branch / base per round ${ratios.map((r) => r.toFixed(2)).join(', ')} (median ${median(ratios).toFixed(2)})`,
  );
} finally {
  await stack.stop();
}
