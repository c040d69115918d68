// Catch-up throughput and inbox query latency of the read models on SQLite and on
// Cassandra, over the same mixed log in the same run.
//   MSGXC_BENCH_CASSANDRA=127.0.0.1:9042 [MSGXC_BENCH_CASSANDRA_DC=datacenter1] \
//     [MSGXC_BENCH_CONCURRENCY=128] npx vite-node bench/projection-catchup-engines.ts [events=20000] [users=1000]
// Without MSGXC_BENCH_CASSANDRA only SQLite runs. Cassandra gets a fresh keyspace
// (msgxc_bench_<random>), dropped at the end.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryEventStore } from '../adapters/eventstore/memory.js';
import type { EventStore } from '../ports/eventstore.js';
import { openCassandraReadStore, openEmbeddedReadStore } from '../app/read-stores.js';
import { createCassandraClient } from '../adapters/read-store/cassandra.js';
import type { ReadModels } from '../ports/read-models.js';
import type { ProjectionRunner } from '../ports/projections.js';
import { mixedLog } from './mixed-log.js';

const N = Number(process.argv[2] ?? 20_000);
const USERS = Number(process.argv[3] ?? 1_000);
const THREADS = 50;

const timed = async (label: string, runs: number, f: () => Promise<unknown>): Promise<void> => {
  const ms: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const t = performance.now();
    await f();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const q = (p: number): string => (ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] ?? 0).toFixed(2);
  console.log(`  ${label.padEnd(46)} p50 ${q(0.5).padStart(7)} ms  p99 ${q(0.99).padStart(7)} ms`);
};

const catchUp = async (name: string, runner: ProjectionRunner, store: EventStore): Promise<void> => {
  const head = await store.head();
  const started = performance.now();
  runner.start();
  await runner.waitFor(head, 1_800_000);
  const s = (performance.now() - started) / 1000;
  console.log(`${name}: catch-up of ${head} mixed events in ${s.toFixed(2)} s = ${Math.round(head / s)} events/s`);
};

const queries = async (models: ReadModels, now: Date, runs: number): Promise<void> => {
  const page = (uid: string, extra: { before?: string; unseen?: boolean; limit?: number } = {}) =>
    models.inbox(uid, { limit: 50, ...extra }, now);
  let deep: string | undefined;
  for (let i = 0; i < 10; i += 1)
    deep = (await page('u1', deep === undefined ? {} : { before: deep })).next ?? undefined;
  await timed('inbox u1, first page of 50', runs, () => page('u1'));
  await timed('inbox u1, page 11 (500 deep) of 50', runs, () => page('u1', deep === undefined ? {} : { before: deep }));
  await timed('inbox u1, unseen only, first page of 50', runs, () => page('u1', { unseen: true }));
  await timed(`inbox u${USERS - 1}, first page of 200`, runs, () => page(`u${USERS - 1}`, { limit: 200 }));
  await timed('thread t0 messages, first page of 50', runs, () => models.threadMessages('t0', { limit: 50 }, now));
  await timed('message by id', runs, () => models.message('nope'));
};

const sqlite = async (store: EventStore, now: Date): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-bench-'));
  const read = openEmbeddedReadStore({ file: join(dir, 'read.db'), store });
  try {
    await catchUp('sqlite', read.runner, store);
    await read.runner.stop();
    await queries(read.models, now, 200);
  } finally {
    await read.close();
    rmSync(dir, { recursive: true, force: true });
  }
};

const cassandra = async (store: EventStore, now: Date, contactPoint: string): Promise<void> => {
  const dc = process.env.MSGXC_BENCH_CASSANDRA_DC ?? 'datacenter1';
  const client = createCassandraClient({ contactPoints: [contactPoint], localDataCenter: dc });
  const keyspace = `msgxc_bench_${randomBytes(4).toString('hex')}`;
  try {
    // MSGXC_BENCH_CONCURRENCY: requests in flight per batch (the store's default is 128).
    const concurrency = Number(process.env.MSGXC_BENCH_CONCURRENCY ?? 128);
    const read = await openCassandraReadStore({
      client,
      keyspace,
      localDataCenter: dc,
      store,
      writes: { concurrency },
    });
    console.log(`cassandra: ${concurrency} writes in flight`);
    await catchUp('cassandra', read.runner, store);
    await read.runner.stop();
    await queries(read.models, now, 100);
    const started = performance.now();
    const sum = await read.checksum();
    console.log(
      `  checksum over every row: ${sum.slice(0, 12)}… in ${((performance.now() - started) / 1000).toFixed(2)} s`,
    );
    await read.close();
  } finally {
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`, [], { readTimeout: 120_000 });
    await client.shutdown();
  }
};

const main = async (): Promise<void> => {
  const store = createMemoryEventStore();
  const log = mixedLog(store, USERS, THREADS);
  await log.setup();
  while ((await store.head()) < N) await log.step();
  console.log(
    `log: ${await store.head()} events (${log.published.length} messages), ${USERS} users, ${THREADS} threads (5 subscriptions each)`,
  );
  await sqlite(store, log.now());
  const contactPoint = process.env.MSGXC_BENCH_CASSANDRA;
  if (contactPoint === undefined || contactPoint === '')
    console.log('cassandra: skipped (MSGXC_BENCH_CASSANDRA is not set)');
  else await cassandra(store, log.now(), contactPoint);
};

await main();
