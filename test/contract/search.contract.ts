import { isRight } from 'fp-ts/lib/Either.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../../adapters/eventstore/memory.js';
import type { EventStore } from '../../ports/eventstore.js';
import { zeroChannels, zeroCounts, zeroFunnel } from '../../schema/search-documents.js';
import type { ChannelCounts, DeliveryDoc, Funnel, MessageDoc, StatusCounts } from '../../schema/search-documents.js';
import type { DocOf, SearchIndex, SearchIndexName } from '../../ports/search.js';
import { HistogramQuery, SearchMessagesQuery, TermsQuery, cursorOf, fillGaps } from '../../schema/search-query.js';
import type { MessageFilter } from '../../schema/search-query.js';
import { createSearchProjectionRunner } from '../../projections/search/open.js';
import { faultyLog } from './faulty-log.js';
import type { LogFaults } from './faulty-log.js';
import { searchRebuildCases } from './search-rebuild.contract.js';
import { searchFunnelCases } from './search-funnel.contract.js';
import { searchOnlineCases } from './search-online.contract.js';
import { searchVariantCases } from './search-variants.contract.js';
import { searchErasureCases } from './search-erasure.contract.js';
import { searchUserCases } from './search-users.contract.js';
import type { SearchProjectionRunner } from '../../projections/search/open.js';
import type { DomainEvent, ReceiptStatus } from '../../schema/events.js';
import type { MessageId, UserId } from '../../schema/ids.js';
import type { Audience, Urgency } from '../../schema/message.js';
import { T0, iso, meta, midsFrom, streamOf, to } from '../unit/projections/fixtures.js';

// One suite for every SearchIndex adapter (SQLite/FTS5 and Elasticsearch), fed through the
// real search projection from a real (memory) event log. Every expectation is a literal
// answer, so the adapters answer identically or one of them fails.
export interface SearchUnderTest {
  readonly index: SearchIndex;
  /** Makes the engine itself refuse writes (a trigger, a closed index) until healWrites(). */
  readonly breakWrites: () => Promise<void>;
  readonly healWrites: () => Promise<void>;
  readonly cleanup: () => Promise<void>;
}

const S = 1_000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const at = (ms: number): string => iso(T0 + ms);

type Timed = readonly [DomainEvent, number];
const published = (
  mid: string,
  audience: Audience,
  o: { at: number; from: string; msg: string; urgency: Urgency; subject?: string; scheduled?: number },
): Timed => [
  {
    type: 'MessagePublished',
    data: {
      mid: mid as MessageId,
      from: o.from as UserId,
      audience,
      msg: o.msg,
      opts: {},
      urgency: o.urgency,
      at: at(o.at),
      ...(o.subject === undefined ? {} : { subject: o.subject }),
      ...(o.scheduled === undefined ? {} : { scheduled: at(o.scheduled) }),
    },
  },
  o.at,
];
const acked = (uid: string, mids: readonly string[], status: ReceiptStatus, when: number, channel?: string): Timed => [
  {
    type: 'MessagesAcknowledged',
    data: { uid: uid as UserId, mids: mids as MessageId[], status, ...(channel === undefined ? {} : { channel }) },
  },
  when,
];
const withdrawn = (type: 'MessageCancelled' | 'MessageRetracted', mid: string, when: number): Timed => [
  { type, data: { mid: mid as MessageId, by: 'admin' as UserId } },
  when,
];

// The scenario: six messages over three days, receipts with duplicates and two channels.
const mid = midsFrom(T0);
// Ids made in this order sort in this order (UUIDv7), so id-ordered dumps list m1..m6.
const [m1, m2, m3, m4, m5, m6] = Array.from({ length: 6 }, () => mid(S)) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
const scenario: readonly Timed[] = [
  published(m1, to.thread('t1'), { at: 10 * S, from: 'ann', msg: 'Hello world from the Lobby!', urgency: 4 }),
  acked('bob', [m1], 'delivered', 30 * S, 'fcm'),
  published(m2, to.user('bob'), {
    at: 70 * S,
    from: 'ann',
    msg: 'Quarterly numbers are ready',
    subject: 'Report',
    urgency: 2,
  }),
  acked('bob', [m1, m2], 'delivered', 80 * S),
  acked('bob', [m1], 'seen', 90 * S),
  acked('bob', [m1], 'read', 100 * S),
  acked('bob', [m1], 'seen', 200 * S),
  published(m3, to.users('bob', 'cid', 'bob'), { at: 2 * H, from: 'admin', msg: 'hello again, world', urgency: 3 }),
  acked('cid', [m3], 'delivered', 2 * H + 5 * S, 'webpush'),
  acked('bob', [m3], 'delivered', 2 * H + 6 * S),
  acked('bob', [m3, m3], 'delivered', 2 * H + 7 * S),
  acked('cid', [m3], 'clicked', 2 * H + 60 * S, 'webpush'),
  published(m4, to.everyone(), { at: D + 5 * M, from: 'admin', msg: 'Maintenance tonight', urgency: 1 }),
  published(m5, to.thread('t1'), { at: D + 10 * M, from: 'bob', msg: 'Scheduled hello', urgency: 3, scheduled: 3 * D }),
  withdrawn('MessageCancelled', m5, D + 11 * M),
  published(m6, to.thread('t2'), { at: 2 * D, from: 'ann', msg: 'retract this world', urgency: 4 }),
  withdrawn('MessageRetracted', m6, 2 * D + M),
];

const counts = (c: Partial<StatusCounts>): StatusCounts => ({ ...zeroCounts(), ...c });
const perChannel = (c: Partial<ChannelCounts>): ChannelCounts => ({ ...zeroChannels(), ...c });
const funnel = (
  f: Partial<Omit<Funnel, 'attempted' | 'sent'>> & {
    attempted?: Partial<ChannelCounts>;
    sent?: Partial<ChannelCounts>;
  },
): Funnel => ({
  ...zeroFunnel(),
  ...f,
  attempted: perChannel(f.attempted ?? {}),
  sent: perChannel(f.sent ?? {}),
});
type Given = Omit<MessageDoc, 'mid' | 'counts' | 'scheduled' | 'funnel' | 'channels'> & Partial<MessageDoc>;
const message = (m: string, d: Given): MessageDoc => ({
  mid: m,
  scheduled: null,
  counts: zeroCounts(),
  funnel: zeroFunnel(),
  channels: [],
  ...d,
});
const expectedMessages: MessageDoc[] = [
  message(m1, {
    tid: 't1',
    from: 'ann',
    audience: 'thread',
    recipients: null,
    text: 'Hello world from the Lobby!',
    urgency: 4,
    at: at(10 * S),
    status: 'published',
    counts: counts({ delivered: 1, seen: 1, read: 1 }),
    // The fcm receipt proves a send on fcm; receipts over the API name no channel of the funnel.
    funnel: funnel({ delivered: 1, seen: 1, read: 1, attempted: { fcm: 1 }, sent: { fcm: 1 }, sentAny: 1 }),
    channels: ['fcm'],
  }),
  message(m2, {
    tid: null,
    from: 'ann',
    audience: 'user',
    recipients: 1,
    text: 'Quarterly numbers are ready\nReport',
    urgency: 2,
    at: at(70 * S),
    status: 'published',
    counts: counts({ delivered: 1 }),
    funnel: funnel({ delivered: 1 }),
  }),
  message(m3, {
    tid: null,
    from: 'admin',
    audience: 'users',
    recipients: 2,
    text: 'hello again, world',
    urgency: 3,
    at: at(2 * H),
    status: 'published',
    counts: counts({ delivered: 2, clicked: 1 }),
    // A click counts as read and seen too (stages are "at least").
    funnel: funnel({
      delivered: 2,
      seen: 1,
      read: 1,
      clicked: 1,
      attempted: { webpush: 1 },
      sent: { webpush: 1 },
      sentAny: 1,
    }),
    channels: ['webpush'],
  }),
  message(m4, {
    tid: null,
    from: 'admin',
    audience: 'everyone',
    recipients: null,
    text: 'Maintenance tonight',
    urgency: 1,
    at: at(D + 5 * M),
    status: 'published',
  }),
  message(m5, {
    tid: 't1',
    from: 'bob',
    audience: 'thread',
    recipients: null,
    text: 'Scheduled hello',
    urgency: 3,
    at: at(D + 10 * M),
    scheduled: at(3 * D),
    status: 'cancelled',
  }),
  message(m6, {
    tid: 't2',
    from: 'ann',
    audience: 'thread',
    recipients: null,
    text: 'retract this world',
    urgency: 4,
    at: at(2 * D),
    status: 'retracted',
  }),
];
const times = (t: Partial<Record<string, number>>) => ({
  retrying: null,
  failed: null,
  given_up: null,
  revoked: null,
  delivered: null,
  seen: null,
  read: null,
  clicked: null,
  ...Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v === undefined ? null : at(v)])),
});
const delivery = (
  m: string,
  uid: string,
  channel: string,
  status: DeliveryDoc['status'],
  first: number,
  latency: number,
  t: Partial<Record<string, number>>,
  message: { tid: string | null; at: number; readMs: number | null },
): DeliveryDoc => ({
  id: `${m}:${uid}:${channel}`,
  mid: m,
  uid,
  channel,
  status,
  at: at(first),
  latency_ms: latency,
  times: times(t),
  reason: null,
  attempts: null,
  tid: message.tid,
  msg_at: at(message.at),
  read_ms: message.readMs,
});
// Time to read is from the message's due time, rounded up to two significant digits (readMs).
const onM1 = (readMs: number | null) => ({ tid: 't1', at: 10 * S, readMs });
const expectedDeliveries: DeliveryDoc[] = [
  delivery(m1, 'bob', 'api', 'read', 80 * S, 70 * S, { delivered: 80 * S, seen: 90 * S, read: 100 * S }, onM1(90 * S)),
  delivery(m1, 'bob', 'fcm', 'delivered', 30 * S, 20 * S, { delivered: 30 * S }, onM1(null)),
  delivery(
    m2,
    'bob',
    'api',
    'delivered',
    80 * S,
    10 * S,
    { delivered: 80 * S },
    { tid: null, at: 70 * S, readMs: null },
  ),
  delivery(
    m3,
    'bob',
    'api',
    'delivered',
    2 * H + 6 * S,
    6 * S,
    { delivered: 2 * H + 6 * S },
    { tid: null, at: 2 * H, readMs: null },
  ),
  // Clicked without a read receipt: the click is its time to read.
  delivery(
    m3,
    'cid',
    'webpush',
    'clicked',
    2 * H + 5 * S,
    5 * S,
    { delivered: 2 * H + 5 * S, clicked: 2 * H + 60 * S },
    { tid: null, at: 2 * H, readMs: 60 * S },
  ),
].sort((a, b) => (a.id < b.id ? -1 : 1));

const append = async (store: EventStore, events: readonly Timed[]): Promise<number> => {
  let position = 0;
  for (const [e, ms] of events) {
    const r = await store.append(streamOf(e), [{ ...e, metadata: meta(at(ms)) }], 'any');
    if (r.kind !== 'appended') throw new Error('append refused');
    position = r.position;
  }
  return position;
};

const dump = async <I extends SearchIndexName>(index: SearchIndex, kind: I): Promise<DocOf<I>[]> => {
  const out: DocOf<I>[] = [];
  for (;;) {
    const last = out[out.length - 1];
    const after = last === undefined ? undefined : 'id' in last ? last.id : last.mid;
    const page = await index.documents(kind, { limit: 4, ...(after === undefined ? {} : { after }) });
    if (page.length === 0) return out;
    out.push(...page);
  }
};

const waitUntil = async (cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

export const searchContract = (name: string, setup: () => Promise<SearchUnderTest>) =>
  describe(`SearchIndex contract: ${name}`, () => {
    let sut: SearchUnderTest;
    let index: SearchIndex;
    let store: EventStore;
    let faults: LogFaults;
    let runner: SearchProjectionRunner;
    let head: number;
    const newRunner = () =>
      createSearchProjectionRunner({ store, index, pageSize: 5, retry: { firstMs: 20, maxMs: 200 } });
    // A case that starts from an empty store and log (the scenario's users are not in its population).
    const emptyStore = async () => {
      await runner.stop();
      await index.reset();
      ({ store, faults } = faultyLog(createMemoryEventStore()));
      runner = newRunner();
      runner.start();
      return { store, index, runner };
    };
    const mids = async (filter: MessageFilter, limit = 50): Promise<string[]> =>
      (await index.searchMessages({ limit, filter })).hits.map((h) => h.mid);

    beforeAll(async () => {
      sut = await setup();
      index = sut.index;
    });
    afterAll(async () => {
      await sut.cleanup();
    });
    beforeEach(async () => {
      await index.reset();
      ({ store, faults } = faultyLog(createMemoryEventStore()));
      runner = newRunner();
      runner.start();
      head = await append(store, scenario);
      await runner.waitFor(head, 20_000);
    });
    afterEach(async () => {
      await runner.stop();
    });

    describe('funnel and channels', () => {
      searchFunnelCases(() => ({ store, index, runner }));
      searchVariantCases(() => ({ store, index, runner }));
    });

    describe('user directory and segments', () => {
      // Each case starts from an empty directory: the scenario's users are not in its population.
      searchUserCases(emptyStore);
    });

    describe('online time (check-ins)', () => {
      searchOnlineCases(emptyStore);
    });

    describe('erasure (docs/gdpr.md)', () => {
      searchErasureCases(emptyStore);
    });

    describe('projection', () => {
      describe('blue/green rebuild', () => {
        searchRebuildCases(() => ({
          store,
          index,
          runner,
          faults,
          documents: async () => ({
            messages: await dump(index, 'messages'),
            deliveries: await dump(index, 'deliveries'),
          }),
        }));
      });

      it('indexes each message once with its audience, recipients, text, status and receipt counts', async () => {
        expect(await dump(index, 'messages')).toEqual(expectedMessages);
        expect([...(await index.messages([m3, 'nope'])).values()]).toEqual([expectedMessages[2]]);
        expect(await index.checkpoint('search')).toBe(head);
      });

      it('keeps one delivery per (mid, uid, channel): first time per status, highest status, latency from publish', async () => {
        expect(await dump(index, 'deliveries')).toEqual(expectedDeliveries);
        const id = `${m1}:bob:api`;
        expect((await index.deliveries([id])).get(id)).toEqual(expectedDeliveries.find((d) => d.id === id));
      });

      it('replaying the log over its own documents (checkpoint moved back) changes nothing and counts nothing twice', async () => {
        const extra: Timed[] = [];
        for (let i = 0; i < 60; i += 1)
          extra.push(
            acked(
              `u${i % 13}`,
              [[m1, m2, m3][i % 3] ?? m1],
              (['delivered', 'seen', 'read'] as const)[i % 3] ?? 'seen',
              3 * D + i * S,
            ),
          );
        head = await append(store, extra);
        await runner.waitFor(head, 20_000);
        const before = { messages: await dump(index, 'messages'), deliveries: await dump(index, 'deliveries') };
        // 20 receipts per (message, status) from 13 distinct users (u0..u12), plus the scenario's.
        expect(before.messages.slice(0, 3).map((m) => m.counts)).toEqual([
          counts({ delivered: 14, seen: 1, read: 1 }),
          counts({ delivered: 1, seen: 13 }),
          counts({ delivered: 2, clicked: 1, read: 13 }),
        ]);
        // u0 acknowledged m1 at 3d and again at 3d+39s: the first time stays.
        expect(before.deliveries.find((d) => d.id === `${m1}:u0:api`)).toMatchObject({
          at: at(3 * D),
          latency_ms: 3 * D - 10 * S,
        });
        for (const back of [0, 7]) {
          await runner.stop();
          await index.write([], { name: 'search', position: back });
          runner = newRunner();
          runner.start();
          await runner.waitFor(head, 20_000);
          expect({ messages: await dump(index, 'messages'), deliveries: await dump(index, 'deliveries') }).toEqual(
            before,
          );
        }
      });

      it('rebuild drops stale and corrupted documents and replays the whole log to the documents of a build from scratch, then follows the log', async () => {
        const scratch = { messages: await dump(index, 'messages'), deliveries: await dump(index, 'deliveries') };
        expect(scratch).toEqual({ messages: expectedMessages, deliveries: expectedDeliveries });
        // Damage written through the port, as a bug or an older version would have left it: a
        // message and a delivery no event made, a status and a delivery no event says, and
        // counts that include a ghost. Replaying alone repairs none of it (creating a message
        // that exists is a no-op; m1 has no status event; the ghost's documents are never touched).
        const ghost = message('ghost-0000', {
          tid: null,
          from: 'nobody',
          audience: 'user',
          recipients: 1,
          text: 'stale ghost document',
          urgency: 3,
          at: at(S),
          status: 'published',
        });
        await index.write(
          [
            { kind: 'createMessage', doc: ghost },
            { kind: 'setMessageStatus', mid: m1, status: 'retracted' },
            { kind: 'putDelivery', doc: { ...delivery(m2, 'ghost', 'sms', 'clicked', S, S, { clicked: S }, onM1(S)) } },
            { kind: 'addToSet', mid: m3, status: 'read', uid: 'ghost' },
            { kind: 'recount', mid: m3 },
          ],
          { name: 'stale-plant', position: 1 },
        );
        await index.refresh();
        expect(await mids({ text: 'ghost' })).toEqual(['ghost-0000']);
        expect(await dump(index, 'messages')).not.toEqual(scratch.messages);
        expect(await dump(index, 'deliveries')).not.toEqual(scratch.deliveries);
        const progress: number[] = [];
        const report = await runner.rebuild((p) => progress.push(p));
        expect(report).toEqual({ replayed: scenario.length });
        await runner.waitFor(head);
        expect(progress.at(-1)).toBe(head);
        expect({ messages: await dump(index, 'messages'), deliveries: await dump(index, 'deliveries') }).toEqual(
          scratch,
        );
        expect(await mids({ text: 'ghost' })).toEqual([]);
        const m7 = mid(D);
        await runner.waitFor(
          await append(store, [
            published(m7, to.user('cid'), { at: 3 * D, from: 'ann', msg: 'after rebuild', urgency: 3 }),
          ]),
        );
        expect(await mids({ text: 'rebuild' })).toEqual([m7]);
      });

      it('stores the checkpoint only after the documents: a refused write leaves it, and the retry catches up', async () => {
        await sut.breakWrites();
        const m7 = mid(D);
        let target = 0;
        try {
          target = await append(store, [
            published(m7, to.user('cid'), { at: 3 * D, from: 'ann', msg: 'written later', urgency: 3 }),
          ]);
          await waitUntil(() => runner.health().failures >= 2, 'two refused writes');
          expect(runner.status()).toEqual([{ name: 'search', position: head }]);
          expect(await index.checkpoint('search')).toBe(head);
        } finally {
          await sut.healWrites();
        }
        await runner.waitFor(target, 20_000);
        expect(await index.checkpoint('search')).toBe(target);
        expect(await mids({ text: 'written later' })).toEqual([m7]);
      });

      it('skips events of other types and counts undecodable ones; waitFor times out and rejects on stop', async () => {
        const p = await store.append(
          'message-bad',
          [
            { type: 'MessagePublished', data: { mid: 'x' }, metadata: meta() },
            { type: 'SomethingElse', data: {}, metadata: meta() },
            { type: 'UserRecognized', data: { uid: 'zed', via: 'token' }, metadata: meta() },
          ],
          'any',
        );
        if (p.kind !== 'appended') throw new Error('append refused');
        await runner.waitFor(p.position);
        expect(runner.skipped()).toEqual({ unknown: 1, invalid: 1 });
        expect(await dump(index, 'messages')).toHaveLength(6);
        await expect(runner.waitFor(p.position + 1, 50)).rejects.toThrow(/did not reach/);
        const pending = runner.waitFor(p.position + 1, 5_000);
        await runner.stop();
        await expect(pending).rejects.toThrow(/stopped/);
      });
    });

    describe('searchMessages', () => {
      it('matches every word of the text (case-insensitive, whole words, subject included), newest first', async () => {
        expect(await mids({ text: 'world' })).toEqual([m6, m3, m1]);
        expect(await mids({ text: 'WORLD hello' })).toEqual([m3, m1]);
        expect(await mids({ text: 'hello' })).toEqual([m5, m3, m1]);
        expect(await mids({ text: 'report' })).toEqual([m2]);
        expect(await mids({ text: 'lobby!!' })).toEqual([m1]);
        expect(await mids({ text: 'wor' })).toEqual([]);
        expect(await mids({ text: '!!!' })).toEqual([]);
      });

      it('filters by thread, sender, urgency range, status and time range, alone and together', async () => {
        expect(await mids({ tid: 't1' })).toEqual([m5, m1]);
        expect(await mids({ from: 'ann' })).toEqual([m6, m2, m1]);
        expect(await mids({ urgency: { gte: 3 } })).toEqual([m6, m5, m3, m1]);
        expect(await mids({ urgency: { lte: 2 } })).toEqual([m4, m2]);
        expect(await mids({ urgency: { gte: 2, lte: 3 } })).toEqual([m5, m3, m2]);
        expect(await mids({ status: ['cancelled', 'retracted'] })).toEqual([m6, m5]);
        expect(await mids({ status: ['scheduled'] })).toEqual([]);
        expect(await mids({ status: [] })).toEqual([]);
        expect(await mids({ reached: ['clicked'] })).toEqual([m3]);
        expect(await mids({ reached: ['read', 'clicked'] })).toEqual([m3, m1]);
        expect(await mids({ reached: ['delivered'] })).toEqual([m3, m2, m1]);
        expect(await mids({ reached: ['failed', 'given_up'] })).toEqual([]);
        expect(await mids({ reached: [] })).toEqual([]);
        expect(await mids({ reached: ['delivered'], from: 'ann' })).toEqual([m2, m1]);
        expect(await mids({ at: { gte: at(D), lt: at(2 * D) } })).toEqual([m5, m4]);
        expect(await mids({ at: { gte: at(2 * D) } })).toEqual([m6]);
        expect(await mids({ text: 'world', from: 'ann', status: ['published'] })).toEqual([m1]);
        expect((await index.searchMessages({ limit: 1, filter: { tid: 't2' } })).hits).toEqual([expectedMessages[5]]);
      });

      it('counts every match in `total`, whatever the page size and cursor', async () => {
        const first = await index.searchMessages({ limit: 1, filter: { from: 'ann' } });
        expect(first.total).toBe(3);
        expect(first.next).not.toBeNull();
        if (first.next === null) return;
        expect((await index.searchMessages({ limit: 1, filter: { from: 'ann' }, after: first.next })).total).toBe(3);
        expect((await index.searchMessages({ limit: 50 })).total).toBe(6);
        expect((await index.searchMessages({ limit: 50, filter: { text: 'world', urgency: { gte: 3 } } })).total).toBe(
          3,
        );
        expect((await index.searchMessages({ limit: 50, filter: { status: [] } })).total).toBe(0);
      });

      it('pages with search_after cursors without gaps or repeats, also across equal times', async () => {
        const ties = Array.from({ length: 5 }, () => mid(1));
        head = await append(
          store,
          ties.map((m, i) => published(m, to.user('dan'), { at: 4 * D, from: 'tie', msg: `tie ${i}`, urgency: 3 })),
        );
        await runner.waitFor(head);
        const seen: string[] = [];
        let page = await index.searchMessages({ limit: 2 });
        for (;;) {
          seen.push(...page.hits.map((h) => h.mid));
          if (page.next === null) break;
          page = await index.searchMessages({ limit: 2, after: page.next });
        }
        expect(seen).toEqual([...[...ties].reverse(), m6, m5, m4, m3, m2, m1]);
        const all = await index.searchMessages({ limit: 11 });
        expect(all.next).toBeNull();
        const first = await index.searchMessages({ limit: 3, filter: { from: 'tie' } });
        expect(first.next).not.toBeNull();
        expect(
          await index.searchMessages({
            limit: 3,
            filter: { from: 'tie' },
            ...(first.next === null ? {} : { after: first.next }),
          }),
        ).toMatchObject({ hits: [{ mid: ties[1] }, { mid: ties[0] }], next: null });
      });
    });

    describe('query codecs (what the analytics API will decode)', () => {
      it('decodes a JSON query and runs it; refuses forged cursors, unknown fields and zones with daylight saving', async () => {
        const q = SearchMessagesQuery.decode(JSON.parse('{"limit":2,"filter":{"text":"world","urgency":{"gte":4}}}'));
        if (!isRight(q)) throw new Error('a valid query did not decode');
        const page = await index.searchMessages(q.right);
        expect(page.hits.map((h) => h.mid)).toEqual([m6, m1]);
        expect(
          isRight(SearchMessagesQuery.decode({ limit: 2, after: page.next ?? cursorOf({ at: at(0), mid: m1 }) })),
        ).toBe(true);
        expect(isRight(SearchMessagesQuery.decode({ limit: 2, after: 'not-a-cursor' }))).toBe(false);
        expect(isRight(SearchMessagesQuery.decode({ limit: 0 }))).toBe(false);
        expect(isRight(TermsQuery.decode({ index: 'messages', field: 'channel', size: 5 }))).toBe(false);
        expect(
          isRight(
            TermsQuery.decode({ index: 'deliveries', field: 'channel', size: 5, then: { field: 'status', size: 3 } }),
          ),
        ).toBe(true);
        expect(isRight(HistogramQuery.decode({ index: 'messages', interval: 'hour', timeZone: 'Europe/Paris' }))).toBe(
          false,
        );
        expect(isRight(HistogramQuery.decode({ index: 'messages', interval: 'week' }))).toBe(false);
      });
    });

    describe('terms', () => {
      it('counts messages per urgency, sender, status and thread (count desc, key asc; missing values left out)', async () => {
        const terms = async (field: 'urgency' | 'from' | 'status' | 'tid', size = 10, filter?: MessageFilter) =>
          index.terms({ index: 'messages', field, size, ...(filter === undefined ? {} : { filter }) });
        expect(await terms('urgency')).toEqual([
          { key: '3', count: 2 },
          { key: '4', count: 2 },
          { key: '1', count: 1 },
          { key: '2', count: 1 },
        ]);
        expect(await terms('from')).toEqual([
          { key: 'ann', count: 3 },
          { key: 'admin', count: 2 },
          { key: 'bob', count: 1 },
        ]);
        expect(await terms('status')).toEqual([
          { key: 'published', count: 4 },
          { key: 'cancelled', count: 1 },
          { key: 'retracted', count: 1 },
        ]);
        expect(await terms('tid')).toEqual([
          { key: 't1', count: 2 },
          { key: 't2', count: 1 },
        ]);
        expect(await terms('from', 1)).toEqual([{ key: 'ann', count: 3 }]);
        expect(await terms('urgency', 10, { urgency: { gte: 3 }, text: 'world' })).toEqual([
          { key: '4', count: 2 },
          { key: '3', count: 1 },
        ]);
      });

      it('counts deliveries per channel and status, two levels deep', async () => {
        expect(
          await index.terms({ index: 'deliveries', field: 'channel', size: 10, then: { field: 'status', size: 10 } }),
        ).toEqual([
          {
            key: 'api',
            count: 3,
            buckets: [
              { key: 'delivered', count: 2 },
              { key: 'read', count: 1 },
            ],
          },
          { key: 'fcm', count: 1, buckets: [{ key: 'delivered', count: 1 }] },
          { key: 'webpush', count: 1, buckets: [{ key: 'clicked', count: 1 }] },
        ]);
        expect(await index.terms({ index: 'deliveries', field: 'status', size: 10, filter: { mid: m1 } })).toEqual([
          { key: 'delivered', count: 1 },
          { key: 'read', count: 1 },
        ]);
        expect(
          await index.terms({
            index: 'deliveries',
            field: 'uid',
            size: 10,
            filter: { status: ['clicked', 'read'], at: { lt: at(D) } },
          }),
        ).toEqual([
          { key: 'bob', count: 1 },
          { key: 'cid', count: 1 },
        ]);
      });
    });

    describe('histogram', () => {
      const hist = async (interval: 'minute' | 'hour' | 'day', timeZone?: string, filter?: MessageFilter) =>
        (
          await index.histogram({
            index: 'messages',
            interval,
            ...(timeZone === undefined ? {} : { timeZone }),
            ...(filter === undefined ? {} : { filter }),
          })
        ).map((b) => [b.key, b.count]);

      it('counts messages per minute, hour and day in UTC, leaving out empty buckets', async () => {
        expect(await hist('minute')).toEqual([
          [at(0), 1],
          [at(M), 1],
          [at(2 * H), 1],
          [at(D + 5 * M), 1],
          [at(D + 10 * M), 1],
          [at(2 * D), 1],
        ]);
        expect(await hist('hour', 'UTC')).toEqual([
          [at(0), 2],
          [at(2 * H), 1],
          [at(D), 2],
          [at(2 * D), 1],
        ]);
        expect(await hist('day')).toEqual([
          [at(0), 3],
          [at(D), 2],
          [at(2 * D), 1],
        ]);
        expect(await hist('day', 'UTC', { status: ['published'] })).toEqual([
          [at(0), 3],
          [at(D), 1],
        ]);
      });

      it('buckets by local days of a fixed-offset zone; fillGaps adds the empty buckets', async () => {
        expect(await hist('day', '+02:00')).toEqual([
          [at(-2 * H), 3],
          [at(D - 2 * H), 2],
          [at(2 * D - 2 * H), 1],
        ]);
        expect(await hist('day', '-05:00')).toEqual([
          [at(-D + 5 * H), 3],
          [at(5 * H), 2],
          [at(D + 5 * H), 1],
        ]);
        const hours = fillGaps(await index.histogram({ index: 'messages', interval: 'hour' }), 'hour');
        expect(hours).toHaveLength(49);
        expect(hours.reduce((n, b) => n + b.count, 0)).toBe(6);
        expect(hours[1]).toEqual({ key: at(H), count: 0 });
      });

      it('counts deliveries by the time of their first status', async () => {
        expect((await index.histogram({ index: 'deliveries', interval: 'hour' })).map((b) => [b.key, b.count])).toEqual(
          [
            [at(0), 3],
            [at(2 * H), 2],
          ],
        );
      });
    });
  });
