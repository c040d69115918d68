import type { Client, estypes } from '@elastic/elasticsearch';
import type { IndexNames } from './elastic-indices.js';
import { LIVE } from './elastic-write.js';

// The search projection's reads of its own live state in the receipts index: a message's live
// lists (whose uids are kept in `_source`, not indexed) and the one-recipient members of sets.

const PAGE = 1_000;

// Sources are the projection's own documents in its own index.
type Source = { mid: string; status: string; uid: string; uids?: string[] };

const pages = async (
  client: Client,
  index: string,
  query: estypes.QueryDslQueryContainer,
  each: (source: Source) => void,
): Promise<void> => {
  let after: estypes.SortResults | undefined;
  for (;;) {
    const r = await client.search<Source>({
      index,
      size: PAGE,
      track_total_hits: false,
      query,
      sort: [{ mid: 'asc' }, { status: 'asc' }, { uid: 'asc' }],
      ...(after === undefined ? {} : { search_after: after }),
    });
    const hits = r.hits.hits;
    for (const h of hits) if (h._source !== undefined) each(h._source);
    if (hits.length < PAGE) return;
    after = hits[hits.length - 1]?.sort;
  }
};

export const liveReads = (client: Client, names: IndexNames) => ({
  liveUids: async (mids: readonly string[]): Promise<Map<string, string[]>> => {
    const out = new Map<string, string[]>();
    if (mids.length === 0) return out;
    await pages(
      client,
      names.receipts,
      { bool: { filter: [{ term: { status: LIVE } }, { terms: { mid: [...mids] } }] } },
      (s) => {
        const list = out.get(s.mid) ?? [];
        for (const uid of s.uids ?? []) list.push(uid);
        out.set(s.mid, list);
      },
    );
    return out;
  },
  setMembers: async (mid: string, sets: readonly string[]): Promise<{ set: string; uid: string }[]> => {
    const out: { set: string; uid: string }[] = [];
    if (sets.length === 0) return out;
    await pages(
      client,
      names.receipts,
      { bool: { filter: [{ term: { mid } }, { terms: { status: [...sets] } }], must_not: [{ prefix: { uid: '#' } }] } },
      (s) => {
        out.push({ set: s.status, uid: s.uid });
      },
    );
    return out;
  },
});
