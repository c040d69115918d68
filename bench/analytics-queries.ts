// Analytics query latency (p50/p99 per query) on a large search store, each as a ratio to a
// baseline query in the same run (a newest-first page with no filter), embedded SQLite/FTS5
// and, when MSGXC_BENCH_ELASTIC_URL (or MSGXC_TEST_ELASTIC_URL) names a running 8.x,
// Elasticsearch (own prefix, deleted at the end).
// Run: npx vite-node bench/analytics-queries.ts [messages=100000] [runs=30]
// Documents are written through the port's ops (what the projection writes), not replayed from
// a log: this measures the queries, bench/search-indexing.ts measures indexing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedSearchIndex } from '../adapters/search/embedded.js';
import { openElasticSearchIndex } from '../adapters/search/elastic.js';
import type { SearchIndex, SearchOp } from '../ports/search.js';
import { funnel, timeseries } from '../projections/search/reports.js';
import { FUNNEL_CHANNELS, zeroCounts, zeroFunnel } from '../schema/search-documents.js';

const N = Number(process.argv[2] ?? 100_000);
const RUNS = Number(process.argv[3] ?? 30);
const ELASTIC = process.env.MSGXC_BENCH_ELASTIC_URL ?? process.env.MSGXC_TEST_ELASTIC_URL;
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

const fill = async (index: SearchIndex): Promise<number> => {
  const start = performance.now();
  for (let i = 0; i < N; i += 1_000) await index.write(batch(i, Math.min(N, i + 1_000)));
  await index.refresh();
  return (performance.now() - start) / 1_000;
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
  const rows: [string, number, number][] = [];
  for (const [name, q] of Object.entries(queries)) {
    await q();
    const ms: number[] = [];
    for (let r = 0; r < RUNS; r += 1) {
      const t = performance.now();
      await q();
      ms.push(performance.now() - t);
    }
    rows.push([name, pct(ms, 50), pct(ms, 99)]);
  }
  const base = rows[0]?.[1] ?? 1;
  for (const [name, p50, p99] of rows)
    console.log(
      `  ${name.padEnd(36)} p50 ${p50.toFixed(1).padStart(8)} ms  p99 ${p99.toFixed(1).padStart(8)} ms  x${(p50 / base).toFixed(1)}`,
    );
};

const dir = mkdtempSync(join(tmpdir(), 'msgxc-bench-analytics-'));
const embedded = createEmbeddedSearchIndex({ file: join(dir, 'search.db') });
console.log(
  `embedded (SQLite + FTS5): ${N} messages indexed in ${(await fill(embedded)).toFixed(1)} s, ${RUNS} runs per query`,
);
await measure(embedded);
await embedded.close();
rmSync(dir, { recursive: true, force: true });
if (ELASTIC !== undefined) {
  const es = await openElasticSearchIndex({ url: ELASTIC, prefix: 'msgxc-bench-analytics-', replicas: 0 });
  console.log(`elasticsearch: ${N} messages indexed in ${(await fill(es)).toFixed(1)} s, ${RUNS} runs per query`);
  await measure(es);
  await es.destroy();
  await es.close();
} else console.log('elasticsearch: not measured (set MSGXC_BENCH_ELASTIC_URL)');
