import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import * as fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../../adapters/eventstore/memory.js';
import type { EventToAppend } from '../../ports/eventstore.js';
import { createEmbeddedSearchIndex } from '../../adapters/search/embedded.js';
import { openElasticSearchIndex } from '../../adapters/search/elastic.js';
import type { ElasticSearchIndex } from '../../adapters/search/elastic.js';
import type { SearchIndex } from '../../ports/search.js';
import { DELIVERY_TERMS, MESSAGE_TERMS } from '../../schema/search-query.js';
import { zeroCounts, zeroFunnel } from '../../schema/search-documents.js';
import type { MessageFilter, SearchCursor, TermsQuery } from '../../schema/search-query.js';
import { createSearchProjectionRunner } from '../../projections/search/open.js';
import type { DomainEvent } from '../../schema/events.js';
import { T0, iso, meta, streamOf } from '../unit/projections/fixtures.js';
import { searchContract } from '../contract/search.contract.js';
import { needs } from '../infra/needs.js';

// The Elasticsearch store against the real server test/infra starts (MSGXC_TEST_SERVERS
// includes `elastic`), under a prefix unique to this run; its indices and templates are
// deleted afterwards. Writes are broken by closing the messages index, which makes the
// server refuse the batch's bulk items.
const openElastic = (u: string): Promise<ElasticSearchIndex> =>
  openElasticSearchIndex({ url: u, prefix: `msgxc-test-${randomUUID().slice(0, 8)}-`, replicas: 0 });

needs('MSGXC_TEST_ELASTIC_URL', 'Elasticsearch', (url) => {
  searchContract('elasticsearch', async () => {
    const index = await openElastic(url);
    const admin = new Client({ node: url });
    return {
      index,
      breakWrites: async () => {
        await admin.indices.close({ index: index.names.messages });
      },
      healWrites: async () => {
        await admin.indices.open({ index: index.names.messages, wait_for_active_shards: 1 });
      },
      cleanup: async () => {
        await index.destroy();
        await index.close();
        await admin.close();
      },
    };
  });
});

// What the follower quarantines and what it retries (ports/follower.ts): a document whose
// values the mapping refuses is refused for good (marked unhandleable); a closed index is the
// engine's failure, retried until it opens again.
needs('MSGXC_TEST_ELASTIC_URL', 'Elasticsearch refusals', (url) => {
  it('a document the mapping refuses is unhandleable; a write to a closed index is not', async () => {
    const index = await openElastic(url);
    const admin = new Client({ node: url });
    const doc = {
      mid: 'refused-0000',
      tid: null,
      from: 'ann',
      audience: 'user' as const,
      recipients: 1,
      text: 'a message',
      urgency: 3 as const,
      at: iso(T0),
      scheduled: null,
      status: 'published' as const,
      counts: zeroCounts(),
      funnel: zeroFunnel(),
      channels: [],
    };
    const failure = (p: Promise<void>): Promise<unknown> =>
      p.then(
        () => undefined,
        (e: unknown) => e,
      );
    try {
      // 1000 does not fit the mapping's byte; the codecs bound urgency, so only a bug sends it.
      const refused = await failure(index.write([{ kind: 'createMessage', doc: { ...doc, urgency: 1000 as 3 } }]));
      expect(refused).toMatchObject({ name: 'FailedToIndex', unhandleable: true });
      await admin.indices.close({ index: index.names.messages });
      const closed = await failure(index.write([{ kind: 'createMessage', doc }]));
      expect(closed).toMatchObject({ name: 'FailedToIndex' });
      expect(closed).not.toHaveProperty('unhandleable');
    } finally {
      await index.destroy();
      await index.close();
      await admin.close();
    }
  });
});

// Random logs through both stores: every document and every answer must be the same.
// The words are chosen where the two engines' own tokenizers disagree.
const VOCAB = [
  'hello',
  'World',
  'naïve café',
  'Ünïcödé',
  '東京タワーです',
  "don't",
  'e.g. 3.14',
  'ŞİMDİ',
  'ＦＵＬＬ',
  'x² ½',
  '🎉party',
  'hello_world',
  'שלום',
  'สวัสดีครับ',
  '한국어',
  'Ⅻ',
  'ﬁne',
  'ΣΊΣΥΦΟΣ',
  'नमस्ते',
  'abc123def',
  'カタカナabcひらがな漢字',
  'a\u0301',
];
const USERS = ['ann', 'bob', 'cid', 'dan'];
const MIN = 60_000;

const arbLog = fc.array(
  fc.record({
    mid: fc.integer({ min: 0, max: 11 }),
    at: fc.integer({ min: 0, max: 3 * 24 * 60 }),
    from: fc.constantFrom(...USERS),
    urgency: fc.constantFrom(1, 2, 3, 4),
    text: fc.array(fc.constantFrom(...VOCAB), { minLength: 1, maxLength: 3 }),
    subject: fc.option(fc.constantFrom(...VOCAB), { nil: undefined }),
    audience: fc.integer({ min: 0, max: 4 }),
    scheduled: fc.boolean(),
    withdraw: fc.integer({ min: 0, max: 5 }),
    acks: fc.array(
      fc.record({
        uid: fc.constantFrom(...USERS),
        status: fc.constantFrom('delivered', 'seen', 'read', 'clicked'),
        after: fc.integer({ min: 0, max: 600 }),
        channel: fc.constantFrom(undefined, 'fcm', 'webpush'),
      }),
      { maxLength: 6 },
    ),
    // A receipt counts only from a user a triage addressed (held until then): the triage's users,
    // and how many of the acks come before it (a live ack can overtake it; 6: after all of them).
    triage: fc.record({ uids: fc.subarray(USERS), before: fc.integer({ min: 0, max: 6 }) }),
  }),
  { minLength: 1, maxLength: 12 },
);

type Log = typeof arbLog extends fc.Arbitrary<infer L> ? L : never;
const toEvents = (log: Log): [string, EventToAppend][] => {
  const out: [string, EventToAppend][] = [];
  const seen = new Set<number>();
  const push = (e: DomainEvent, ms: number): void => {
    out.push([streamOf(e), { ...e, metadata: meta(iso(T0 + ms)) }]);
  };
  for (const m of log) {
    if (seen.has(m.mid)) continue;
    seen.add(m.mid);
    const mid = `m-${String(m.mid).padStart(2, '0')}`;
    const audience = [
      { kind: 'thread', tid: 't1' },
      { kind: 'thread', tid: 't2' },
      { kind: 'user', uid: 'bob' },
      { kind: 'users', uids: ['bob', 'cid', 'bob'] },
      { kind: 'everyone' },
    ][m.audience];
    const at = m.at * MIN;
    push(
      {
        type: 'MessagePublished',
        data: {
          mid,
          from: m.from,
          audience,
          msg: m.text.join(' - '),
          opts: {},
          urgency: m.urgency,
          at: iso(T0 + at),
          ...(m.subject === undefined ? {} : { subject: m.subject }),
          ...(m.scheduled ? { scheduled: iso(T0 + at + 60 * MIN) } : {}),
        },
      } as DomainEvent,
      at,
    );
    const triage = (): void => {
      push(
        {
          type: 'MessageTriaged',
          data: {
            mid,
            batch: 0,
            due: iso(T0 + at),
            expiresAt: iso(T0 + at + 24 * 60 * MIN),
            urgency: m.urgency,
            recipients: m.triage.uids.map((uid) => ({ uid, online: false, steps: [] })),
          },
        } as unknown as DomainEvent,
        at + 1,
      );
    };
    for (const [i, a] of m.acks.entries()) {
      if (i === m.triage.before) triage();
      push(
        {
          type: 'MessagesAcknowledged',
          data: {
            uid: a.uid,
            mids: [mid],
            status: a.status,
            ...(a.channel === undefined ? {} : { channel: a.channel }),
          },
        } as DomainEvent,
        at + a.after * 1_000,
      );
    }
    if (m.triage.before >= m.acks.length) triage();
    if (m.withdraw === 0 && m.scheduled)
      push({ type: 'MessageCancelled', data: { mid, by: 'admin' } } as DomainEvent, at + 1);
    if (m.withdraw === 1) push({ type: 'MessageRetracted', data: { mid, by: 'admin' } } as DomainEvent, at + 2);
  }
  return out;
};

const answers = async (index: SearchIndex): Promise<unknown[]> => {
  const out: unknown[] = [
    await index.documents('messages', { limit: 1_000 }),
    await index.documents('deliveries', { limit: 1_000 }),
  ];
  const filters: MessageFilter[] = [
    ...VOCAB.map((text) => ({ text })),
    { text: 'hello world' },
    { from: 'ann' },
    { tid: 't1', text: 'hello' },
    { urgency: { gte: 2, lte: 3 } },
    { status: ['published', 'scheduled'] },
    { at: { gte: iso(T0 + 24 * 60 * MIN) } },
  ];
  for (const filter of filters) out.push(await index.searchMessages({ limit: 100, filter }));
  let page = await index.searchMessages({ limit: 3 });
  for (let after: SearchCursor | null = page.next; after !== null; after = page.next) {
    out.push(page);
    page = await index.searchMessages({ limit: 3, after });
  }
  const terms: TermsQuery[] = [
    ...MESSAGE_TERMS.map((field) => ({ index: 'messages' as const, field, size: 3 })),
    ...MESSAGE_TERMS.map((field) => ({ index: 'messages' as const, field, size: 10, filter: { text: 'hello' } })),
    ...DELIVERY_TERMS.map((field) => ({
      index: 'deliveries' as const,
      field,
      size: 10,
      then: { field: 'status' as const, size: 2 },
    })),
  ];
  for (const q of terms) out.push(await index.terms(q));
  for (const interval of ['minute', 'hour', 'day'] as const) {
    for (const timeZone of ['UTC', '+05:30', '-08:00']) {
      for (const which of ['messages', 'deliveries'] as const)
        out.push(await index.histogram({ index: which, interval, timeZone }));
    }
  }
  return out;
};

needs('MSGXC_TEST_ELASTIC_URL', 'Elasticsearch against SQLite', (url) => {
  describe('search: Elasticsearch and SQLite answer the same on random logs', () => {
    let elastic: ElasticSearchIndex;
    let dir: string;
    beforeAll(async () => {
      elastic = await openElastic(url);
      dir = mkdtempSync(join(tmpdir(), 'msgxc-search-diff-'));
    });
    afterAll(async () => {
      await elastic.destroy();
      await elastic.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('documents, searches, pages, terms and histograms agree', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(arbLog, async (log) => {
          run += 1;
          const embedded = createEmbeddedSearchIndex({ file: join(dir, `run-${run}.db`) });
          const store = createMemoryEventStore();
          for (const [stream, e] of toEvents(log)) await store.append(stream, [e], 'any');
          const head = await store.head();
          for (const index of [embedded, elastic]) {
            // rebuild() resets the store first, so each run starts empty.
            const runner = createSearchProjectionRunner({ store, index, pageSize: 25 });
            await runner.rebuild();
            await runner.waitFor(head);
            await runner.stop();
          }
          expect(await answers(elastic)).toEqual(await answers(embedded));
          await embedded.close();
        }),
        { numRuns: 5, endOnFailure: true },
      );
    }, 180_000);
  });
});
