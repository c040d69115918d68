// Search projection throughput (events/s) into the embedded store and into Elasticsearch,
// their ratio, and query latency on the indexed data.
// Run: npx vite-node bench/search-indexing.ts [events=50000]
// Elasticsearch: set MSGXC_BENCH_ELASTIC_URL (or MSGXC_TEST_ELASTIC_URL) to a running 8.x;
// the bench uses its own index prefix and deletes it at the end. Without it, only the
// embedded store is measured.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryEventStore } from '../adapters/eventstore/memory.js';
import type { EventStore } from '../ports/eventstore.js';
import { createIdGenerator } from '../adapters/ids/ids.js';
import { createEmbeddedSearchIndex } from '../adapters/search/embedded.js';
import { openElasticSearchIndex } from '../adapters/search/elastic.js';
import type { SearchIndex } from '../ports/search.js';
import { createSearchProjectionRunner } from '../projections/search/open.js';
import { streams } from '../schema/events.js';

const N = Number(process.argv[2] ?? 50_000);
const ELASTIC = process.env.MSGXC_BENCH_ELASTIC_URL ?? process.env.MSGXC_TEST_ELASTIC_URL;
const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const USERS = 2_000;
const THREADS = 50;
const WORDS = [
  'alert',
  'build',
  'deploy',
  'failed',
  'passed',
  'report',
  'weekly',
  'server',
  'disk',
  'memory',
  'latency',
  'user',
  'signup',
  'payment',
  'invoice',
  'reminder',
  'meeting',
  'lunch',
  'release',
  'notes',
  'hello',
  'world',
  'café',
  'naïve',
];

let seed = 42;
const rand = (): number => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;

// Two thirds messages (thread, direct, multicast, broadcast), a third receipts for recent
// ones (several statuses and channels, some repeated), a few cancellations and retractions.
const fill = async (store: EventStore): Promise<number> => {
  let clock = T0;
  const ids = createIdGenerator(() => clock);
  const recent: string[] = [];
  let messages = 0;
  const meta = () => ({
    eventId: 'e',
    occurredAt: new Date(clock).toISOString(),
    actor: { uid: 'bench', roles: [] },
    correlationId: 'c',
    causationId: 'c',
  });
  while ((await store.head()) < N) {
    clock += 500;
    const r = rand();
    const m = recent[Math.floor(rand() * recent.length)];
    if (r < 0.66 || m === undefined) {
      const mid = ids.messageId();
      const a = rand();
      const audience =
        a < 0.7
          ? { kind: 'thread', tid: `t${Math.floor(rand() * THREADS)}` }
          : a < 0.9
            ? { kind: 'user', uid: `u${Math.floor(rand() * USERS)}` }
            : a < 0.98
              ? { kind: 'users', uids: [`u${Math.floor(rand() * USERS)}`, `u${Math.floor(rand() * USERS)}`] }
              : { kind: 'everyone' };
      const msg = Array.from({ length: 4 + Math.floor(rand() * 8) }, () => pick(WORDS)).join(' ');
      await store.append(
        streams.message(mid),
        [
          {
            type: 'MessagePublished',
            data: {
              mid,
              from: `u${Math.floor(rand() * 50)}`,
              audience,
              msg,
              opts: {},
              urgency: pick([1, 2, 3, 3, 3, 4]),
              at: new Date(clock).toISOString(),
            },
            metadata: meta(),
          },
        ],
        'any',
      );
      recent.push(mid);
      if (recent.length > 200) recent.shift();
      messages += 1;
    } else if (r < 0.99) {
      const uid = `u${Math.floor(rand() * USERS)}`;
      const channel = pick([undefined, undefined, 'fcm', 'apns', 'webpush']);
      await store.append(
        streams.inbox(uid),
        [
          {
            type: 'MessagesAcknowledged',
            data: {
              uid,
              mids: [m],
              status: pick(['delivered', 'delivered', 'seen', 'read', 'clicked']),
              ...(channel === undefined ? {} : { channel }),
            },
            metadata: meta(),
          },
        ],
        'any',
      );
    } else {
      await store.append(
        streams.message(m),
        [{ type: 'MessageRetracted', data: { mid: m, by: 'admin' }, metadata: meta() }],
        'any',
      );
    }
  }
  return messages;
};

const timed = async (label: string, runs: number, f: () => Promise<unknown>): Promise<void> => {
  const ms: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const t = performance.now();
    await f();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const q = (p: number): string => (ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] ?? 0).toFixed(2);
  console.log(`  ${label.padEnd(52)} p50 ${q(0.5)} ms  p99 ${q(0.99)} ms`);
};

/** Rebuild from zero (catch-up in pages of 1000), then the queries the analytics API will ask. */
const measure = async (name: string, store: EventStore, index: SearchIndex): Promise<number> => {
  const runner = createSearchProjectionRunner({ store, index, pageSize: 1_000 });
  const head = await store.head();
  const started = performance.now();
  await runner.rebuild();
  await runner.waitFor(head, 600_000);
  const seconds = (performance.now() - started) / 1000;
  const rate = head / seconds;
  const deliveries = (await index.terms({ index: 'deliveries', field: 'channel', size: 10 })).reduce(
    (n, b) => n + b.count,
    0,
  );
  console.log(
    `${name}: ${head} events in ${seconds.toFixed(2)} s = ${Math.round(rate)} events/s (${deliveries} delivery documents)`,
  );
  const since = new Date(T0 + (N / 4) * 500).toISOString();
  await timed('search text "deploy failed", newest 20', 200, () =>
    index.searchMessages({ limit: 20, filter: { text: 'deploy failed' } }),
  );
  await timed('search text + tid + urgency>=3 + time range, 20', 200, () =>
    index.searchMessages({ limit: 20, filter: { text: 'report', tid: 't7', urgency: { gte: 3 }, at: { gte: since } } }),
  );
  await timed('search from u3, page 10 (search_after)', 100, async () => {
    let page = await index.searchMessages({ limit: 20, filter: { from: 'u3' } });
    for (let i = 0; i < 9 && page.next !== null; i += 1)
      page = await index.searchMessages({ limit: 20, filter: { from: 'u3' }, after: page.next });
  });
  await timed('terms messages by urgency', 200, () => index.terms({ index: 'messages', field: 'urgency', size: 10 }));
  await timed('terms messages by from (top 10)', 200, () =>
    index.terms({ index: 'messages', field: 'from', size: 10 }),
  );
  await timed('terms deliveries by channel, then status', 200, () =>
    index.terms({ index: 'deliveries', field: 'channel', size: 10, then: { field: 'status', size: 10 } }),
  );
  await timed('histogram messages per hour (UTC)', 200, () => index.histogram({ index: 'messages', interval: 'hour' }));
  await timed('histogram messages per day (+02:00), text filter', 200, () =>
    index.histogram({ index: 'messages', interval: 'day', timeZone: '+02:00', filter: { text: 'alert' } }),
  );
  await runner.stop();
  return rate;
};

const main = async (): Promise<void> => {
  const store = createMemoryEventStore();
  const messages = await fill(store);
  console.log(`log: ${await store.head()} events, ${messages} messages`);
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-bench-search-'));
  const embedded = createEmbeddedSearchIndex({ file: join(dir, 'search.db') });
  const embeddedRate = await measure('embedded (SQLite FTS5)', store, embedded);
  await embedded.close();
  rmSync(dir, { recursive: true, force: true });
  if (ELASTIC === undefined || ELASTIC === '') {
    console.log('elasticsearch: skipped (set MSGXC_BENCH_ELASTIC_URL)');
    return;
  }
  const elastic = await openElasticSearchIndex({
    url: ELASTIC,
    prefix: `msgxc-bench-${randomUUID().slice(0, 8)}-`,
    replicas: 0,
  });
  try {
    const elasticRate = await measure('elasticsearch 8', store, elastic);
    console.log(`ratio elasticsearch/embedded indexing: ${(elasticRate / embeddedRate).toFixed(2)}`);
  } finally {
    await elastic.destroy();
    await elastic.close();
  }
};

await main();
