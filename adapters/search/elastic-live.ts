import type { Client, estypes } from '@elastic/elasticsearch';
import type { IndexNames } from './elastic-indices.js';
import { FailedToQuery } from './errors.js';
import { HELD, LIVE, rootId } from './elastic-write.js';
import type { HeldReceipt } from '../../ports/search.js';
import type { ReceiptStage } from '../../schema/search-documents.js';

// The search projection's reads of its own live state in the receipts index: a message's live
// lists (whose uids are kept in `_source`, not indexed; a list named by reference keeps its
// `root`, read by id once per root) and the one-recipient members of sets.

const PAGE = 1_000;

// Sources are the projection's own documents in its own index.
type Source = {
  mid: string;
  status: string;
  uid: string;
  uids?: string[];
  root?: string;
  receipt?: { channel: string; status: string; at: string };
};

/** The uids of each root list, by root; every one must be stored (written before the lists naming it). */
const rootLists = async (client: Client, index: string, roots: ReadonlySet<string>): Promise<Map<string, string[]>> => {
  const out = new Map<string, string[]>();
  if (roots.size === 0) return out;
  const r = await client.mget<Source>({ index, ids: [...roots].map(rootId) });
  for (const d of r.docs)
    if ('found' in d && d.found && d._source !== undefined) out.set(d._source.uid, d._source.uids ?? []);
  for (const root of roots)
    if (!out.has(root)) throw new FailedToQuery(`a live list names the root ${root}, which is not stored`);
  return out;
};

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

/** Mids per addressed lookup (mget ids). */
const MGET = 1_000;

export const liveReads = (client: Client, names: IndexNames) => ({
  // Point reads by id (members are `<mid>/<set>/<uid>`): realtime, no refresh needed.
  addressed: async (pairs: readonly { mid: string; uid: string }[]): Promise<Map<string, Set<string>>> => {
    const out = new Map<string, Set<string>>();
    for (let i = 0; i < pairs.length; i += MGET) {
      const chunk = pairs.slice(i, i + MGET);
      const r = await client.mget({
        index: names.receipts,
        ids: chunk.map((p) => `${p.mid}/f:addressed/${p.uid}`),
        _source: false,
      });
      r.docs.forEach((d, j) => {
        const p = chunk[j];
        if (p === undefined || !('found' in d) || !d.found) return;
        const uids = out.get(p.mid) ?? new Set<string>();
        uids.add(p.uid);
        out.set(p.mid, uids);
      });
    }
    return out;
  },
  heldReceipts: async (mids: readonly string[]): Promise<Map<string, HeldReceipt[]>> => {
    const out = new Map<string, HeldReceipt[]>();
    if (mids.length === 0) return out;
    await pages(
      client,
      names.receipts,
      { bool: { filter: [{ prefix: { status: `${HELD}/` } }, { terms: { mid: [...mids] } }] } },
      (s) => {
        if (s.receipt === undefined) return;
        const list = out.get(s.mid) ?? [];
        // Only the projection writes these, with receipt stages.
        const { channel, status, at } = s.receipt;
        list.push({ mid: s.mid, uid: s.uid, channel, status: status as ReceiptStage, at });
        out.set(s.mid, list);
      },
    );
    return out;
  },
  liveUids: async (mids: readonly string[]): Promise<Map<string, string[]>> => {
    const out = new Map<string, string[]>();
    if (mids.length === 0) return out;
    const named: Source[] = [];
    await pages(
      client,
      names.receipts,
      { bool: { filter: [{ term: { status: LIVE } }, { terms: { mid: [...mids] } }] } },
      (s) => {
        const list = out.get(s.mid) ?? [];
        if (s.root === undefined) for (const uid of s.uids ?? []) list.push(uid);
        else named.push(s);
        out.set(s.mid, list);
      },
    );
    const roots = await rootLists(client, names.receipts, new Set(named.map((s) => s.root ?? '')));
    for (const s of named) {
      const list = out.get(s.mid) ?? [];
      for (const uid of roots.get(s.root ?? '') ?? []) list.push(uid);
      out.set(s.mid, list);
    }
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
