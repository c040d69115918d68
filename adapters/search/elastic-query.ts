import { elasticOnlineTime } from './elastic-checkins.js';
import type { Client, estypes } from '@elastic/elasticsearch';
import { isRight } from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import { DeliveryDoc, MessageDoc, zeroFunnel } from '../../schema/search-documents.js';
import { FUNNEL_PATHS, funnelTotals } from './funnel-paths.js';
import { VARIANT_SET_PREFIX, VARIANT_STAGES, variantFunnels } from '../../schema/variant-funnel.js';
import { MAX_VARIANTS } from '../../schema/variants.js';
import { elasticUserQueries } from './elastic-users.js';
import type { IndexNames } from './elastic-indices.js';
import { FailedToQuery } from './errors.js';
import type { DocOf, SearchIndexName, SearchQueries } from '../../ports/search.js';
import { cursorKey, cursorOf } from '../../schema/search-query.js';
import type {
  DeliveryFilter,
  HistogramQuery,
  MessageFilter,
  TermsBucket,
  TermsQuery,
  TimeRange,
} from '../../schema/search-query.js';
import { words } from './words.js';

// The analytics queries as Elasticsearch DSL, using only what the server core offers (bool
// filters, match, terms, date_histogram, search_after): no scripts, no runtime fields.
// Everything is a filter (no scoring): results are ordered by time, not relevance.

type Q = estypes.QueryDslQueryContainer;

const range = (field: string, r: TimeRange | undefined): Q[] =>
  r === undefined || (r.gte === undefined && r.lt === undefined)
    ? []
    : [
        {
          range: {
            [field]: {
              format: 'epoch_millis',
              ...(r.gte === undefined ? {} : { gte: Date.parse(r.gte) }),
              ...(r.lt === undefined ? {} : { lt: Date.parse(r.lt) }),
            },
          },
        },
      ];
const term = (field: string, value: string | undefined): Q[] =>
  value === undefined ? [] : [{ term: { [field]: value } }];
const oneOf = (field: string, values: readonly string[] | undefined): Q[] =>
  values === undefined ? [] : [{ terms: { [field]: [...values] } }];

const text = (s: string | undefined): Q[] => {
  if (s === undefined) return [];
  const ws = words(s);
  return ws.length === 0 ? [{ match_none: {} }] : [{ match: { words: { query: ws.join(' '), operator: 'and' } } }];
};

export const messageQuery = (f: MessageFilter = {}): Q => ({
  bool: {
    filter: [
      ...text(f.text),
      ...term('mid', f.mid),
      ...term('tid', f.tid),
      ...term('from', f.from),
      ...(f.urgency === undefined ? [] : [{ range: { urgency: { ...f.urgency } } }]),
      ...oneOf('status', f.status),
      // An empty `should` would match everything: no status asked for matches nothing, as in SQLite.
      ...(f.reached === undefined
        ? []
        : f.reached.length === 0
          ? [{ match_none: {} }]
          : [
              {
                bool: {
                  should: f.reached.map((r) => ({ range: { [`counts.${r}`]: { gt: 0 } } })),
                  minimum_should_match: 1,
                },
              },
            ]),
      ...(f.channel === undefined
        ? []
        : f.channel.length === 0
          ? [{ match_none: {} }]
          : [{ terms: { channels: [...f.channel] } }]),
      ...range('at', f.at),
    ],
  },
});

export const deliveryQuery = (f: DeliveryFilter = {}): Q => ({
  bool: {
    filter: [
      ...term('mid', f.mid),
      ...term('uid', f.uid),
      ...term('channel', f.channel),
      ...oneOf('status', f.status),
      ...range('at', f.at),
      ...term('tid', f.tid),
      ...range('msg_at', f.msgAt),
      ...(f.read === true ? [{ exists: { field: 'read_ms' } }] : []),
    ],
  },
});

const decode = <A>(codec: t.Decoder<unknown, A>, value: unknown): A => {
  const r = codec.decode(value);
  if (isRight(r)) return r.right;
  throw new FailedToQuery(
    `Elasticsearch answered an unexpected shape: ${PathReporter.report(r).slice(0, 3).join('; ')}`,
  );
};

/**
 * `words` is what the engine indexes, not part of the document. A document from before funnels
 * reads with an empty funnel (and a delivery with unknown thread and times) until a rebuild.
 */
export const messageFromSource = (source: unknown): MessageDoc => {
  const doc: Record<string, unknown> = {
    funnel: zeroFunnel(),
    channels: [],
    ...(source as Record<string, unknown> | undefined),
  };
  delete doc.words;
  return decode(MessageDoc, doc);
};
export const deliveryFromSource = (source: unknown): DeliveryDoc =>
  decode(DeliveryDoc, { tid: null, msg_at: null, read_ms: null, ...(source as Record<string, unknown> | undefined) });

const Bucket: t.Type<{ key: string | number; doc_count: number; b?: { buckets: unknown[] } }> = t.intersection([
  t.type({ key: t.union([t.string, t.number]), doc_count: t.number }),
  t.partial({ b: t.type({ buckets: t.array(t.unknown) }) }),
]);
const Buckets = t.type({ buckets: t.array(Bucket) });
// Set sizes: each bucket's sum of `n` (a member without one counts 1).
const Sized = t.type({
  buckets: t.array(t.type({ key: t.string, n: t.type({ value: t.union([t.number, t.null]) }) })),
});
const ORDER: estypes.AggregationsAggregateOrder = [{ _count: 'desc' }, { _key: 'asc' }];

export const elasticQueries = (client: Client, names: IndexNames): SearchQueries => {
  const hitsOf = async (index: string, request: Omit<estypes.SearchRequest, 'index'>): Promise<unknown[]> =>
    (await client.search({ index, track_total_hits: false, ...request })).hits.hits.map((h) => h._source);

  const aggregate = async (index: string, query: Q, aggs: Record<string, estypes.AggregationsAggregationContainer>) => {
    const r = await client.search({ index, size: 0, track_total_hits: false, query, aggs });
    return decode(Buckets, r.aggregations?.a).buckets;
  };

  const terms = async (q: TermsQuery): Promise<TermsBucket[]> => {
    const [index, query] =
      q.index === 'messages' ? [names.messages, messageQuery(q.filter)] : [names.deliveries, deliveryQuery(q.filter)];
    const sub =
      q.then === undefined ? {} : { aggs: { b: { terms: { field: q.then.field, size: q.then.size, order: ORDER } } } };
    const buckets = await aggregate(index, query, {
      a: { terms: { field: q.field, size: q.size, order: ORDER }, ...sub },
    });
    return buckets.map((b) => ({
      key: String(b.key),
      count: b.doc_count,
      ...(q.then === undefined
        ? {}
        : {
            buckets: decode(t.array(Bucket), b.b?.buckets ?? []).map((s) => ({
              key: String(s.key),
              count: s.doc_count,
            })),
          }),
    }));
  };

  const histogram = async (q: HistogramQuery) => {
    const [index, query] =
      q.index === 'messages' ? [names.messages, messageQuery(q.filter)] : [names.deliveries, deliveryQuery(q.filter)];
    const buckets = await aggregate(index, query, {
      a: {
        date_histogram: {
          field: 'at',
          calendar_interval: q.interval,
          time_zone: q.timeZone ?? 'UTC',
          min_doc_count: 1,
        },
      },
    });
    return buckets.map((b) => ({ key: new Date(Number(b.key)).toISOString(), count: b.doc_count }));
  };

  // One sum per funnel leaf; integer sums below 2^53 are exact in the double Elasticsearch answers.
  const funnel = async (f: MessageFilter | undefined) => {
    const r = await client.search({
      index: names.messages,
      size: 0,
      track_total_hits: true,
      query: messageQuery(f),
      aggs: Object.fromEntries(FUNNEL_PATHS.map((p, i) => [`s${i}`, { sum: { field: `funnel.${p}` } }])),
    });
    const sums = decode(t.record(t.string, t.type({ value: t.union([t.number, t.null]) })), r.aggregations ?? {});
    const total = typeof r.hits.total === 'number' ? r.hits.total : (r.hits.total?.value ?? 0);
    return funnelTotals(total, (p) => Math.round(sums[`s${FUNNEL_PATHS.indexOf(p)}`]?.value ?? 0));
  };

  // The per-variant sets are members in the receipts index, like the funnel's own sets.
  const variantFunnel = async (mid: string) => {
    const r = await client.search({
      index: names.receipts,
      size: 0,
      track_total_hits: false,
      query: { bool: { filter: [{ term: { mid } }, { prefix: { status: VARIANT_SET_PREFIX } }] } },
      aggs: {
        s: {
          terms: { field: 'status', size: MAX_VARIANTS * VARIANT_STAGES.length },
          // A member counts 1, a live list's count its `n`.
          aggs: { n: { sum: { field: 'n', missing: 1 } } },
        },
      },
    });
    const agg = decode(t.partial({ s: Sized }), r.aggregations ?? {});
    return variantFunnels((agg.s?.buckets ?? []).map((b) => [b.key, Math.round(b.n.value ?? 0)] as const));
  };

  return {
    funnel,
    variantFunnel,
    searchMessages: async (q) => {
      const after = q.after === undefined ? {} : { search_after: [...cursorKey(q.after)] };
      // The total is exact (an analyst's count must not stop at 10,000) but asked apart: a page
      // that tracks every hit cannot stop early on the sort, and visited all 1M messages of an
      // unfiltered search (2 s); `_count` answers that from the index statistics.
      const query = messageQuery(q.filter);
      const [r, counted] = await Promise.all([
        client.search({
          index: names.messages,
          track_total_hits: false,
          size: q.limit + 1,
          query,
          sort: [{ at: 'desc' }, { mid: 'desc' }],
          ...after,
        }),
        client.count({ index: names.messages, query }),
      ]);
      const sources = r.hits.hits.map((h) => h._source);
      const hits = sources.slice(0, q.limit).map(messageFromSource);
      const last = hits[hits.length - 1];
      const total = counted.count;
      return { hits, total, next: sources.length > q.limit && last !== undefined ? cursorOf(last) : null };
    },
    terms,
    histogram,
    documents: async <I extends SearchIndexName>(
      index: I,
      page: { readonly after?: string; readonly limit: number },
    ): Promise<readonly DocOf<I>[]> => {
      const key = index === 'messages' ? 'mid' : 'id';
      const sources = await hitsOf(names[index], {
        size: page.limit,
        sort: [{ [key]: 'asc' }],
        ...(page.after === undefined ? {} : { search_after: [page.after] }),
      });
      // The link between `index` and the document type is lost in the ternary.
      return (index === 'messages' ? sources.map(messageFromSource) : sources.map(deliveryFromSource)) as DocOf<I>[];
    },
    onlineTime: elasticOnlineTime(client, names.checkins),
    ...elasticUserQueries(client, names.users),
  };
};
