// The search projection's cost per live recipient (issue 15): a thread message's triage lists
// the members who got it over the websocket by uid (`MessageTriaged.live`, batches of 500);
// this times the search projection's handler (projections/search/handler.ts, the code the
// projection worker runs) applying those batches to the embedded store (SQLite FTS5), and to
// Elasticsearch when MSGXC_BENCH_ELASTIC_URL is set. CPU of this process (all threads) and, for
// Elasticsearch, wall time, per recipient of each message.
// Run: node dist/bench/search-live.js [members=10000] [messages=10] [events per batch=2]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedSearchIndex } from '../adapters/search/embedded.js';
import { openElasticSearchIndex } from '../adapters/search/elastic.js';
import type { Followed } from '../ports/follower.js';
import type { SearchIndex } from '../ports/search.js';
import { searchHandler } from '../projections/search/handler.js';
import type { DomainEvent } from '../schema/events.js';
import type { MessageId, ThreadId, UserId } from '../schema/ids.js';

const MEMBERS = Number(process.argv[2] ?? 10_000);
const MESSAGES = Number(process.argv[3] ?? 10);
const PER_BATCH = Number(process.argv[4] ?? 2);
const TRIAGE_BATCH = 500;
const ELASTIC = process.env.MSGXC_BENCH_ELASTIC_URL;
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const uids = Array.from({ length: MEMBERS }, (_, i) => `member-${String(i).padStart(6, '0')}` as UserId);

const eventsOf = (n: number): DomainEvent[] => {
  const mid = `m${String(n).padStart(6, '0')}-bench` as MessageId;
  const at = iso(T0 + n * 1000);
  const out: DomainEvent[] = [
    {
      type: 'MessagePublished',
      data: {
        mid,
        from: 'sender' as UserId,
        audience: { kind: 'thread', tid: 'bench' as ThreadId },
        msg: 'hello',
        opts: {},
        urgency: 3,
        at,
      },
    },
  ];
  for (let b = 0; b * TRIAGE_BATCH < MEMBERS; b += 1) {
    const live = uids.slice(b * TRIAGE_BATCH, (b + 1) * TRIAGE_BATCH);
    out.push({
      type: 'MessageTriaged',
      data: { mid, batch: b, due: at, expiresAt: iso(T0 + 86_400_000), urgency: 3, recipients: [], live, liveAt: at },
    });
  }
  return out;
};

const run = async (label: string, index: SearchIndex): Promise<void> => {
  const handler = searchHandler(index);
  let position = 0;
  const batches: Followed[][] = [];
  for (let n = 0; n < MESSAGES; n += 1) {
    const events = eventsOf(n);
    for (let i = 0; i < events.length; i += PER_BATCH)
      batches.push(
        events.slice(i, i + PER_BATCH).map((event) => {
          position += 1;
          return {
            event,
            position,
            revision: 0,
            stream: 'bench',
            metadata: {
              eventId: `e${position}`,
              occurredAt: iso(T0),
              actor: { uid: 'bench', roles: [] },
              correlationId: 'c',
              causationId: 'c',
            },
          };
        }),
      );
  }
  const cpu = process.cpuUsage();
  const t = performance.now();
  for (const b of batches) await handler.handle(b);
  await index.refresh();
  const wall = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu);
  const s = (used.user + used.system) / 1e6;
  const recipients = MEMBERS * MESSAGES;
  const check = (await index.messages([`m${String(MESSAGES - 1).padStart(6, '0')}-bench`])).values().next().value;
  if (check?.funnel.sentAny !== MEMBERS) throw new Error(`funnel wrong: ${JSON.stringify(check?.funnel)}`);
  console.log(
    `${label}: ${recipients} live recipients (${MESSAGES} x ${MEMBERS}, ${batches.length} handler batches): ` +
      `this process ${s.toFixed(2)} CPU-s = ${((s / recipients) * 1e6).toFixed(2)} us per recipient; ` +
      `wall ${wall.toFixed(2)} s = ${((wall / recipients) * 1e6).toFixed(2)} us per recipient`,
  );
};

const dir = mkdtempSync(join(tmpdir(), 'msgxc-search-live-'));
try {
  const embedded = createEmbeddedSearchIndex({ file: join(dir, 'search.db') });
  await run('embedded', embedded);
  await embedded.close();
  if (ELASTIC !== undefined) {
    const prefix = `bench-live-${process.pid}-`;
    const elastic = await openElasticSearchIndex({ url: ELASTIC, prefix });
    try {
      await run('elasticsearch', elastic);
    } finally {
      await elastic.reset();
      await elastic.close();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
