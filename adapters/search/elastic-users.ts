import type { Client, estypes } from '@elastic/elasticsearch';
import type { SegmentQuery } from '../../schema/segment-query.js';
import { typedText } from '../../schema/user-directory.js';
import type { UserDoc } from '../../schema/user-directory.js';

// Segment queries as Elasticsearch query DSL, built from the decoded tree (callers never send
// DSL). The semantics match adapters/search/embedded-users.ts: an attribute test matches when
// one (key, value) pair matches, so the pairs are nested documents; `not` of a missing field
// matches; an empty `all` matches everyone and an empty `any` no one.

type Q = estypes.QueryDslQueryContainer;

const pairTest = (k: string, test: Q): Q => ({
  nested: { path: 'attrs', query: { bool: { filter: [{ term: { 'attrs.k': k } }, test] } } },
});

export const compileUserQuery = (q: SegmentQuery): Q => {
  if ('tag' in q) return { term: { tags: q.tag } };
  if ('channel' in q) return { term: { channels: q.channel } };
  if ('lastSeen' in q)
    return {
      range: {
        lastSeen: {
          ...(q.lastSeen.after === undefined ? {} : { gt: q.lastSeen.after }),
          ...(q.lastSeen.before === undefined ? {} : { lt: q.lastSeen.before }),
          format: 'strict_date_optional_time',
        },
      },
    };
  if ('all' in q) return q.all.length === 0 ? { match_all: {} } : { bool: { filter: q.all.map(compileUserQuery) } };
  if ('any' in q)
    return q.any.length === 0
      ? { match_none: {} }
      : { bool: { should: q.any.map(compileUserQuery), minimum_should_match: 1 } };
  if ('not' in q) return { bool: { must_not: [compileUserQuery(q.not)] } };
  if ('eq' in q) return pairTest(q.attribute, { term: { 'attrs.s': typedText(q.eq) } });
  if ('in' in q) return pairTest(q.attribute, { terms: { 'attrs.s': q.in.map(typedText) } });
  if ('gt' in q) return pairTest(q.attribute, { range: { 'attrs.n': { gt: q.gt } } });
  return pairTest(q.attribute, { range: { 'attrs.n': { lt: q.lt } } });
};

export const userFromSource = (s: unknown): UserDoc => s as UserDoc;

export const elasticUserQueries = (client: Client, index: string) => ({
  countUsers: async (q: SegmentQuery): Promise<number> =>
    (await client.count({ index, query: compileUserQuery(q) })).count,
  selectUsers: async (
    q: SegmentQuery,
    page: { readonly after?: string; readonly limit: number },
  ): Promise<readonly string[]> => {
    const r = await client.search<{ uid: string }>({
      index,
      size: page.limit,
      query: compileUserQuery(q),
      sort: [{ uid: 'asc' }],
      _source: ['uid'],
      track_total_hits: false,
      ...(page.after === undefined || page.after === '' ? {} : { search_after: [page.after] }),
    });
    return r.hits.hits.flatMap((h) => (h._source === undefined ? [] : [h._source.uid]));
  },
});
