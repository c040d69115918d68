// Analytics query latency (p50/p99 per query) on a large search store, each as a ratio to a
// baseline query in the same run (a newest-first page with no filter), on both engines:
// embedded SQLite/FTS5 and Elasticsearch 8 (started from test/infra as the tests start it, own
// prefix per size, deleted at the end; MSGXC_BENCH_ELASTIC_URL names a running one instead).
// Run: npx vite-node bench/analytics-queries.ts [sizes=100000,1000000] [runs=30] [budget-s=20]
// Each query runs `runs` times after one warm-up, but stops after `budget-s` seconds once it has
// 3 runs (a 1M-message scan takes seconds): the output says how many runs each figure is.
// Documents are written through the port's writer (`SearchIndex.write`), not replayed from a
// log: this measures the queries, bench/search-indexing.ts measures indexing. To load 1M in
// minutes, `bulk` folds each message's set members into its createMessage doc (counts, funnel,
// channels as `tallies` computes them, what `recount` would store) instead of sending them
// as addToSet + recount: the same message and delivery documents, without the receipt sets.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedSearchIndex } from '../adapters/search/embedded.js';
import { Client } from '@elastic/elasticsearch';
import { openElasticSearchIndex } from '../adapters/search/elastic.js';
import type { ElasticSearchIndex } from '../adapters/search/elastic.js';
import type { SearchIndex, SearchOp } from '../ports/search.js';
import { funnel, timeseries } from '../projections/search/reports.js';
import { FUNNEL_CHANNELS, tallies, zeroCounts, zeroFunnel } from '../schema/search-documents.js';

const SIZES = (process.argv[2] ?? '100000,1000000').split(',').map(Number);
const RUNS = Number(process.argv[3] ?? 30);
const BUDGET_MS = Number(process.argv[4] ?? 20) * 1_000;
const ELASTIC = process.env.MSGXC_BENCH_ELASTIC_URL ?? process.env.MSGXC_TEST_ELASTIC_URL;
let N = SIZES[0] ?? 100_000; // the size being loaded (batch spreads messages over SPAN by it)
const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const SPAN = 30 * 24 * 3_600_000; // messages spread over 30 days
const WORDS = ['alert', 'build', 'deploy', 'failed', 'report', 'weekly', 'server', 'disk', 'payment', 'invoice'];
const iso = (ms: number) => new Date(ms).toISOString();

// Message i: thread t(i % 50), 4 recipients, sent on 1-2 channels, some read.
const batch = (from: number, to: number): SearchOp[] => {
  const ops: SearchOp[] = [];
  for (let i = from; i < to; i += 1) {
    const mid = `m${String(i).padStart(8, '0')}`;
    const at = T0 + Math.floor((i / N) * SPAN);
    ops.push({
      kind: 'createMessage',
      doc: {
        mid,
        tid: `t${i % 50}`,
        from: `u${i % 997}`,
        audience: 'thread',
        recipients: null,
        text: `${WORDS[i % 10] ?? ''} ${WORDS[(i * 7) % 10] ?? ''} number ${i}`,
        urgency: ((i % 4) + 1) as 1 | 2 | 3 | 4,
        at: iso(at),
        scheduled: null,
        status: 'published',
        counts: zeroCounts(),
        funnel: zeroFunnel(),
        channels: [],
      },
    });
    const channel = FUNNEL_CHANNELS[i % FUNNEL_CHANNELS.length] ?? 'email';
    for (let r = 0; r < 4; r += 1) {
      const uid = `u${(i + r) % 2000}`;
      ops.push({ kind: 'addToSet', mid, status: 'f:addressed', uid });
      ops.push({ kind: 'addToSet', mid, status: `f:sent:${channel}`, uid });
      if (r < 2) ops.push({ kind: 'addToSet', mid, status: 'f:reached:read', uid });
    }
    ops.push({ kind: 'recount', mid });
    if (i % 3 === 0)
      ops.push({
        kind: 'putDelivery',
        doc: {
          id: `${mid}:u1:${channel}`,
          mid,
          uid: 'u1',
          channel,
          status: 'read',
          at: iso(at + 1_000),
          latency_ms: 1_000,
          times: {
            ...Object.fromEntries(Object.keys(zeroCounts()).map((k) => [k, null])),
            read: iso(at + 5_000),
          } as never,
          reason: null,
          attempts: null,
          tid: `t${i % 50}`,
          msg_at: iso(at),
          read_ms: 1_000 * (1 + (i % 90)),
        },
      });
  }
  return ops;
};

// The set members of a batch folded into its messages' documents (see the header).
const bulk = (ops: SearchOp[]): SearchOp[] => {
  const members = new Map<string, Map<string, Set<string>>>();
  for (const op of ops) {
    if (op.kind !== 'addToSet') continue;
    const sets = members.get(op.mid) ?? new Map<string, Set<string>>();
    sets.set(op.status, (sets.get(op.status) ?? new Set()).add(op.uid));
    members.set(op.mid, sets);
  }
  return ops.flatMap((op): SearchOp[] => {
    if (op.kind === 'addToSet' || op.kind === 'recount') return [];
    if (op.kind !== 'createMessage') return [op];
    const sizes = new Map([...(members.get(op.doc.mid) ?? [])].map(([k, v]) => [k, v.size]));
    return [{ ...op, doc: { ...op.doc, ...tallies(sizes) } }];
  });
};

// Two batches in flight: Elasticsearch indexes one while the next is built and sent.
const fill = async (index: SearchIndex): Promise<number> => {
  const start = performance.now();
  let pending: Promise<void> = Promise.resolve();
  for (let i = 0; i < N; i += 2_000) {
    const next = index.write(bulk(batch(i, Math.min(N, i + 2_000))));
    await pending;
    pending = next;
  }
  await pending;
  await index.refresh();
  return (performance.now() - start) / 1_000;
};

// Bulk-load settings for the Elasticsearch indices (no periodic refresh, translog fsync in the
// background), put back to the defaults before measuring.
const loading = async (es: ElasticSearchIndex, on: boolean): Promise<void> => {
  const client = new Client({ node: elasticUrl, requestTimeout: 120_000 });
  await client.indices.putSettings({
    index: [es.names.messages, es.names.deliveries],
    settings: on
      ? { refresh_interval: '-1', 'translog.durability': 'async' }
      : { refresh_interval: '1s', 'translog.durability': 'request' },
  });
  await client.close();
};

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] ?? 0;

const measure = async (index: SearchIndex) => {
  const week = { gte: iso(T0 + 7 * 86_400_000), lt: iso(T0 + 14 * 86_400_000) };
  const queries: Record<string, () => Promise<unknown>> = {
    'baseline: newest 50': () => index.searchMessages({ limit: 50 }),
    'text "deploy failed"': () => index.searchMessages({ limit: 50, filter: { text: 'deploy failed' } }),
    'channel=email,sms + week': () =>
      index.searchMessages({ limit: 50, filter: { channel: ['email', 'sms'], at: week } }),
    'funnel tid': () => funnel(index, { scope: {}, messages: { tid: 't7' }, deliveries: { tid: 't7', read: true } }),
    'funnel week': () => funnel(index, { scope: {}, messages: { at: week }, deliveries: { msgAt: week, read: true } }),
    'timeseries day by channel (30 d)': () =>
      timeseries(index, { interval: 'day', since: iso(T0), until: iso(T0 + SPAN), by: 'channel' }),
    'timeseries hour by urgency (week)': () =>
      timeseries(index, { interval: 'hour', since: week.gte, until: week.lt, by: 'urgency' }),
  };
  const rows: [string, number, number, number][] = [];
  for (const [name, q] of Object.entries(queries)) {
    await q();
    const ms: number[] = [];
    const started = performance.now();
    for (let r = 0; r < RUNS && (r < 3 || performance.now() - started < BUDGET_MS); r += 1) {
      const t = performance.now();
      await q();
      ms.push(performance.now() - t);
    }
    rows.push([name, pct(ms, 50), pct(ms, 99), ms.length]);
  }
  const base = rows[0]?.[1] ?? 1;
  for (const [name, p50, p99, runs] of rows)
    console.log(
      `  ${name.padEnd(36)} p50 ${p50.toFixed(1).padStart(8)} ms  p99 ${p99.toFixed(1).padStart(8)} ms  x${(p50 / base).toFixed(1).padStart(6)}  (${runs} runs)`,
    );
};

// The part of test/infra/elasticsearch.ts used here (loaded by path: not part of the build).
type StartElastic = (o: { heap?: string }) => Promise<{ readonly url: string; stop(): Promise<void> }>;
const server =
  ELASTIC === undefined
    ? await (
        (await import(new URL('../test/infra/elasticsearch.ts', import.meta.url).pathname)) as {
          startElasticsearch: StartElastic;
        }
      ).startElasticsearch({ heap: process.env.MSGXC_BENCH_ELASTIC_HEAP ?? '1g' })
    : undefined;
const elasticUrl = ELASTIC ?? server?.url ?? '';
try {
  for (const size of SIZES) {
    N = size;
    const dir = mkdtempSync(join(tmpdir(), 'msgxc-bench-analytics-'));
    const embedded = createEmbeddedSearchIndex({ file: join(dir, 'search.db') });
    try {
      console.log(`embedded (SQLite + FTS5): ${N} messages indexed in ${(await fill(embedded)).toFixed(1)} s`);
      await measure(embedded);
    } finally {
      await embedded.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const es = await openElasticSearchIndex({ url: elasticUrl, prefix: `msgxc-bench-analytics-${N}-`, replicas: 0 });
    try {
      await loading(es, true);
      const seconds = await fill(es);
      await loading(es, false);
      console.log(`elasticsearch: ${N} messages indexed in ${seconds.toFixed(1)} s`);
      await measure(es);
    } finally {
      await es.destroy();
      await es.close();
    }
  }
} finally {
  await server?.stop();
}
