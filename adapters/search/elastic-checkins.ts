import type { Client } from '@elastic/elasticsearch';
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { INTERVALS } from '../../schema/search-query.js';
import type { OnlineQuery, OnlineTotals } from '../../schema/online-time.js';

// Online time on Elasticsearch: one search with a date histogram (fixed UTC intervals: a day is
// 86,400,000 ms from the epoch, as SQLite's integer division), a terms on uid ordered by the
// summed session time (one shard: exact), and the totals. Distinct users are `cardinality`
// with the highest precision threshold: exact in practice up to 40,000 users per bucket.

const FIXED: Readonly<Record<OnlineQuery['interval'], string>> = { minute: '1m', hour: '1h', day: '1d' };
const PRECISION = 40_000;

const Answer = t.type({
  ms: t.type({ value: t.union([t.number, t.null]) }),
  users: t.type({ value: t.number }),
  by_time: t.type({
    buckets: t.array(
      t.type({ key: t.number, ms: t.type({ value: t.union([t.number, t.null]) }), users: t.type({ value: t.number }) }),
    ),
  }),
  by_uid: t.type({ buckets: t.array(t.type({ key: t.string, ms: t.type({ value: t.union([t.number, t.null]) }) })) }),
});

export const elasticOnlineTime =
  (client: Client, index: string) =>
  async (q: OnlineQuery): Promise<OnlineTotals> => {
    const filter = [
      { range: { at: { gte: q.since, lt: q.until, format: 'strict_date_optional_time' } } },
      ...(q.uid === undefined ? [] : [{ term: { uid: q.uid } }]),
    ];
    const users = { cardinality: { field: 'uid', precision_threshold: PRECISION } };
    const r = await client.search({
      index,
      size: 0,
      track_total_hits: false,
      query: { bool: { filter } },
      aggs: {
        ms: { sum: { field: 'onlineMs' } },
        users,
        by_time: {
          date_histogram: { field: 'at', fixed_interval: FIXED[q.interval], min_doc_count: 1 },
          aggs: { ms: { sum: { field: 'onlineMs' } }, users },
        },
        by_uid: {
          terms: { field: 'uid', size: q.top, order: [{ ms: 'desc' }, { _key: 'asc' }] },
          aggs: { ms: { sum: { field: 'onlineMs' } } },
        },
      },
    });
    const a = Answer.decode(r.aggregations);
    if (isLeft(a)) throw new Error('unexpected online-time aggregation answer');
    const ms = (v: { value: number | null }): number => Math.round(v.value ?? 0);
    const step = INTERVALS[q.interval];
    return {
      onlineMs: ms(a.right.ms),
      users: a.right.users.value,
      buckets: a.right.by_time.buckets.map((b) => ({
        key: new Date(Math.floor(b.key / step) * step).toISOString(),
        onlineMs: ms(b.ms),
        users: b.users.value,
      })),
      top: a.right.by_uid.buckets.map((b) => ({ uid: b.key, onlineMs: ms(b.ms) })),
    };
  };

const PAGE = 1_000;

/**
 * Delete actions for the erased users' online time (docs/gdpr.md), for the batch's one _bulk
 * (before its puts). Found by search (the index is refreshed first so every stored piece is
 * seen), not `_delete_by_query`, which needs the reindex module that a minimal node lacks.
 */
export const erasedOnlineTime = async (client: Client, index: string, uids: readonly string[]): Promise<object[]> => {
  const out: object[] = [];
  if (uids.length === 0) return out;
  await client.indices.refresh({ index });
  let after: (string | number)[] | undefined;
  for (;;) {
    const r = await client.search<{ id: string }>({
      index,
      size: PAGE,
      track_total_hits: false,
      _source: ['id'],
      query: { terms: { uid: [...uids] } },
      sort: [{ id: 'asc' }],
      ...(after === undefined ? {} : { search_after: after }),
    });
    const hits = r.hits.hits;
    for (const h of hits) if (h._id !== undefined) out.push({ delete: { _index: index, _id: h._id } });
    if (hits.length < PAGE) return out;
    after = hits[hits.length - 1]?.sort as (string | number)[] | undefined;
  }
};
