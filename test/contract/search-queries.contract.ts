// The query cases of the search contract (searchMessages, the query codecs, terms and
// histograms) over the scenario (search-scenario.ts), projected before each case.
import { isRight } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { EventStore } from '../../ports/eventstore.js';
import type { SearchIndex } from '../../ports/search.js';
import { HistogramQuery, SearchMessagesQuery, TermsQuery, cursorOf, fillGaps } from '../../schema/search-query.js';
import type { MessageFilter } from '../../schema/search-query.js';
import type { SearchProjectionRunner } from '../../projections/search/open.js';
import { to } from '../unit/projections/fixtures.js';
import { D, H, M, append, at, expectedMessages, m1, m2, m3, m4, m5, m6, mid, published } from './search-scenario.js';

export interface QuerySubject {
  readonly index: SearchIndex;
  readonly store: EventStore;
  readonly runner: SearchProjectionRunner;
}

export const searchQueryCases = (get: () => QuerySubject): void => {
  const mids = async (filter: MessageFilter, limit = 50): Promise<string[]> =>
    (await get().index.searchMessages({ limit, filter })).hits.map((h) => h.mid);
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
      expect((await get().index.searchMessages({ limit: 1, filter: { tid: 't2' } })).hits).toEqual([
        expectedMessages[5],
      ]);
    });

    it('counts every match in `total`, whatever the page size and cursor', async () => {
      const first = await get().index.searchMessages({ limit: 1, filter: { from: 'ann' } });
      expect(first.total).toBe(3);
      expect(first.next).not.toBeNull();
      if (first.next === null) return;
      expect((await get().index.searchMessages({ limit: 1, filter: { from: 'ann' }, after: first.next })).total).toBe(
        3,
      );
      expect((await get().index.searchMessages({ limit: 50 })).total).toBe(6);
      expect(
        (await get().index.searchMessages({ limit: 50, filter: { text: 'world', urgency: { gte: 3 } } })).total,
      ).toBe(3);
      expect((await get().index.searchMessages({ limit: 50, filter: { status: [] } })).total).toBe(0);
    });

    it('pages with search_after cursors without gaps or repeats, also across equal times', async () => {
      const ties = Array.from({ length: 5 }, () => mid(1));
      const head = await append(
        get().store,
        ties.map((m, i) => published(m, to.user('dan'), { at: 4 * D, from: 'tie', msg: `tie ${i}`, urgency: 3 })),
      );
      await get().runner.waitFor(head);
      const seen: string[] = [];
      let page = await get().index.searchMessages({ limit: 2 });
      for (;;) {
        seen.push(...page.hits.map((h) => h.mid));
        if (page.next === null) break;
        page = await get().index.searchMessages({ limit: 2, after: page.next });
      }
      expect(seen).toEqual([...[...ties].reverse(), m6, m5, m4, m3, m2, m1]);
      const all = await get().index.searchMessages({ limit: 11 });
      expect(all.next).toBeNull();
      const first = await get().index.searchMessages({ limit: 3, filter: { from: 'tie' } });
      expect(first.next).not.toBeNull();
      expect(
        await get().index.searchMessages({
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
      const page = await get().index.searchMessages(q.right);
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
        get().index.terms({ index: 'messages', field, size, ...(filter === undefined ? {} : { filter }) });
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
        await get().index.terms({
          index: 'deliveries',
          field: 'channel',
          size: 10,
          then: { field: 'status', size: 10 },
        }),
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
      expect(await get().index.terms({ index: 'deliveries', field: 'status', size: 10, filter: { mid: m1 } })).toEqual([
        { key: 'delivered', count: 1 },
        { key: 'read', count: 1 },
      ]);
      expect(
        await get().index.terms({
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
        await get().index.histogram({
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
      const hours = fillGaps(await get().index.histogram({ index: 'messages', interval: 'hour' }), 'hour');
      expect(hours).toHaveLength(49);
      expect(hours.reduce((n, b) => n + b.count, 0)).toBe(6);
      expect(hours[1]).toEqual({ key: at(H), count: 0 });
    });

    it('counts deliveries by the time of their first status', async () => {
      expect(
        (await get().index.histogram({ index: 'deliveries', interval: 'hour' })).map((b) => [b.key, b.count]),
      ).toEqual([
        [at(0), 3],
        [at(2 * H), 2],
      ]);
    });
  });
};
