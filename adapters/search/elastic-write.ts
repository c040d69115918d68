import type { Client, estypes } from '@elastic/elasticsearch';
import { SET_NAMES, tallies } from '../../schema/search-documents.js';
import type { IndexNames } from './elastic-indices.js';
import { FailedToIndex } from './errors.js';
import { bulkChunks } from './elastic-bulk-chunks.js';
import type { Checkpoint, SearchOp } from '../../ports/search.js';
import { indexedWords } from './words.js';
import { ERASED_TEXT } from '../../schema/personal.js';
import { erasedOnlineTime } from './elastic-checkins.js';

// A batch in three steps, none of which needs a script: (1) add the receipt-set members
// (index by id, refreshed so they can be counted); (2) count every touched message's sets
// with one terms aggregation; (3) one _bulk for the documents, counts as partial updates.
// The checkpoint document is written only after all three succeeded. A retry after a
// failure anywhere repeats steps that are idempotent by id, and counts are recomputed, not added.

type Op = estypes.BulkOperationContainer | estypes.BulkUpdateAction | object;
type Result = Partial<Record<estypes.BulkOperationType, estypes.BulkResponseItem>>;

const memberId = (mid: string, status: string, uid: string): string => `${mid}/${status}/${uid}`;

// "Already there" answers of the conditional ops are the expected no-ops of a replay.
const isExpected = (action: string, item: estypes.BulkResponseItem): boolean =>
  (action === 'create' && item.status === 409) || (action === 'update' && item.status === 404);

const failures = (items: readonly Result[]): string[] =>
  items.flatMap((entry) =>
    Object.entries(entry).flatMap(([action, item]) =>
      item.error === undefined || isExpected(action, item)
        ? []
        : [`${action} ${item._id ?? ''}: ${item.status} ${item.error.type} ${item.error.reason ?? ''}`],
    ),
  );

// Refusals of a document itself (its values do not fit the mapping): sending it again can only
// be refused again, so the error is marked unhandleable and the follower quarantines the event
// (ports/follower.ts). Anything else (a closed or read-only index, a full queue) is retried.
const DOCUMENT_REFUSED: ReadonlySet<string> = new Set([
  'mapper_parsing_exception',
  'document_parsing_exception',
  'illegal_argument_exception',
  'strict_dynamic_mapping_exception',
]);
const refusedForGood = (items: readonly Result[]): boolean => {
  const errors = items.flatMap((entry) =>
    Object.entries(entry).flatMap(([action, item]) =>
      item.error === undefined || isExpected(action, item) ? [] : [item.error.type],
    ),
  );
  return errors.length > 0 && errors.every((t) => DOCUMENT_REFUSED.has(t));
};

// In requests of a size the server accepts (elastic-bulk-chunks.ts), one after another, in order.
const bulk = async (client: Client, operations: Op[], refresh: boolean): Promise<void> => {
  if (operations.length === 0) return;
  const items: Result[] = [];
  let errors = false;
  for (const chunk of bulkChunks(operations)) {
    const r = await client.bulk({ operations: chunk, refresh });
    errors ||= r.errors;
    for (const item of r.items) items.push(item);
  }
  const bad = errors ? failures(items) : [];
  if (bad.length === 0) return;
  const e = new FailedToIndex(`bulk refused ${bad.length} op(s): ${bad.slice(0, 3).join('; ')}`);
  throw refusedForGood(items) ? Object.assign(e, { unhandleable: true }) : e;
};

const countBuckets = (a: unknown): { key: string; doc_count: number; by_status?: unknown; n?: unknown }[] =>
  typeof a === 'object' && a !== null && 'buckets' in a && Array.isArray(a.buckets)
    ? (a.buckets as { key: string; doc_count: number }[])
    : [];

/** A bucket's sum of `n` (members without one count 1). */
export const summed = (b: { doc_count: number; n?: unknown }): number =>
  typeof b.n === 'object' && b.n !== null && 'value' in b.n && typeof b.n.value === 'number'
    ? Math.round(b.n.value)
    : b.doc_count;

/** Live lists' status in the receipts index: outside SET_NAMES, so never counted as a set. */
export const LIVE = '#live';
/** Root lists' status (lists named by reference, ports/search.ts putLiveRoot): never counted either. */
export const LIVE_ROOT = '#liveroot';
/**
 * Held receipts' status prefix (ports/search.ts holdReceipt): outside SET_NAMES, never counted. The
 * status is `#held/<channel>/<stage>/<at>`, so each distinct receipt is its own document (the
 * earliest of a user's is then kept whatever the order) and pages sort by (mid, status, uid).
 */
export const HELD = '#held';
/** The id of a root list's document. */
export const rootId = (root: string): string => `${LIVE_ROOT}/${root}`;

// Mids per counting search: bounded so that mids x statuses stays far below search.max_buckets.
const COUNT_CHUNK = 1_000;

type Tallies = ReturnType<typeof tallies>;

const setSizes = async (client: Client, names: IndexNames, mids: readonly string[]): Promise<Map<string, Tallies>> => {
  const out = new Map<string, Tallies>(mids.map((m) => [m, tallies(new Map())]));
  for (let i = 0; i < mids.length; i += COUNT_CHUNK) {
    const chunk = mids.slice(i, i + COUNT_CHUNK);
    const r = await client.search({
      index: names.receipts,
      size: 0,
      track_total_hits: false,
      query: { terms: { mid: chunk } },
      aggs: {
        by_mid: {
          terms: { field: 'mid', size: chunk.length },
          // Only the sets: the projection's other state in this index (DIRECT) is never counted.
          // A member counts 1, a live list's count its `n`.
          aggs: {
            by_status: {
              terms: { field: 'status', size: SET_NAMES.length, include: [...SET_NAMES] },
              aggs: { n: { sum: { field: 'n', missing: 1 } } },
            },
          },
        },
      },
    });
    for (const m of countBuckets(r.aggregations?.by_mid))
      out.set(m.key, tallies(new Map(countBuckets(m.by_status).map((s) => [s.key, summed(s)]))));
  }
  return out;
};

// Direct messages by their one recipient are projection state beside the receipt sets, so an
// erasure finds them (docs/gdpr.md). Not the funnel's `f:addressed`: that set is filled by
// triage (later, for a scheduled message; never for a live-only recipient) and holds every
// recipient of any audience, while an erasure needs the message's one recipient from its
// publication on. The name is outside SET_NAMES, and setSizes counts only those.
const DIRECT = 'gdpr:direct';
const directs = (names: IndexNames, ops: readonly SearchOp[]): Op[] =>
  ops.flatMap((op) =>
    op.kind === 'createMessage' && op.to !== undefined
      ? [
          { index: { _index: names.receipts, _id: memberId(op.doc.mid, DIRECT, op.to) } },
          { mid: op.doc.mid, status: DIRECT, uid: op.to },
        ]
      : [],
  );
const PAGE = 1_000;
const erasedMessages = async (client: Client, names: IndexNames, ops: readonly SearchOp[]): Promise<string[]> => {
  const uids = ops.flatMap((op) => (op.kind === 'eraseRecipient' ? [op.uid] : []));
  const mids: string[] = [];
  if (uids.length === 0) return mids;
  let after: estypes.SortResults | undefined;
  for (;;) {
    const r = await client.search<{ mid: string }>({
      index: names.receipts,
      size: PAGE,
      track_total_hits: false,
      query: { bool: { filter: [{ term: { status: DIRECT } }, { terms: { uid: uids } }] } },
      sort: [{ mid: 'asc' }, { uid: 'asc' }],
      ...(after === undefined ? {} : { search_after: after }),
    });
    const hits = r.hits.hits;
    for (const h of hits) if (h._source !== undefined) mids.push(h._source.mid);
    if (hits.length < PAGE) return mids;
    after = hits[hits.length - 1]?.sort;
  }
};

export const elasticWriter =
  (
    client: Client,
    names: IndexNames,
    refreshEachBatch: boolean,
    saveCheckpoint: (name: string, position: number) => Promise<void>,
  ) =>
  async (ops: readonly SearchOp[], checkpoint?: Checkpoint): Promise<void> => {
    const members: Op[] = [];
    const lists: Op[] = [];
    for (const op of ops) {
      if (op.kind === 'addToSet')
        members.push(
          { index: { _index: names.receipts, _id: memberId(op.mid, op.status, op.uid) } },
          { mid: op.mid, status: op.status, uid: op.uid, ...(op.n === undefined ? {} : { n: op.n }) },
        );
      else if (op.kind === 'putLive')
        lists.push(
          { index: { _index: names.receipts, _id: memberId(op.mid, LIVE, op.key) } },
          { mid: op.mid, status: LIVE, uid: op.key, uids: op.uids },
        );
      else if (op.kind === 'putLiveRef')
        lists.push(
          { index: { _index: names.receipts, _id: memberId(op.mid, LIVE, op.key) } },
          { mid: op.mid, status: LIVE, uid: op.key, root: op.root },
        );
      else if (op.kind === 'holdReceipt') {
        const r = op.receipt;
        const status = `${HELD}/${r.channel}/${r.status}/${r.at}`;
        members.push(
          { index: { _index: names.receipts, _id: memberId(r.mid, status, r.uid) } },
          { mid: r.mid, status, uid: r.uid, receipt: { channel: r.channel, status: r.status, at: r.at } },
        );
      }
      // With the counts: a list naming a root is stored only once the root is.
      else if (op.kind === 'putLiveRoot')
        members.push(
          { index: { _index: names.receipts, _id: rootId(op.root) } },
          { mid: op.root, status: LIVE_ROOT, uid: op.root, uids: op.uids },
        );
    }
    await bulk(client, members, true);
    // Only once every count is in: a list found stored says its counts are (the projection
    // counts a listed uid as already counted), so a retry after a partial bulk counts it again.
    await bulk(client, lists, true);
    // Before this batch's direct messages are recorded: an erasure blanks only those stored before it.
    const erased = await erasedMessages(client, names, ops);
    const offline = await erasedOnlineTime(
      client,
      names.checkins,
      ops.flatMap((op) => (op.kind === 'eraseRecipient' ? [op.uid] : [])),
    );
    await bulk(client, directs(names, ops), false);
    const counts = await setSizes(client, names, [
      ...new Set(ops.flatMap((op) => (op.kind === 'recount' ? [op.mid] : []))),
    ]);
    // A message created and recounted in one batch is one upsert: counts merged if it exists.
    const upserted = new Set<string>();
    const docs: Op[] = [
      ...offline,
      ...erased.flatMap((mid) => [
        { update: { _index: names.messages, _id: mid } },
        { doc: { text: ERASED_TEXT, words: '' } },
      ]),
    ];
    for (const op of ops) {
      switch (op.kind) {
        case 'createMessage': {
          const doc = { ...op.doc, words: indexedWords(op.doc.text) };
          const c = counts.get(op.doc.mid);
          if (c === undefined) docs.push({ create: { _index: names.messages, _id: op.doc.mid } }, doc);
          else docs.push({ update: { _index: names.messages, _id: op.doc.mid } }, { doc: c, upsert: { ...doc, ...c } });
          if (c !== undefined) upserted.add(op.doc.mid);
          break;
        }
        case 'setMessageStatus':
          docs.push({ update: { _index: names.messages, _id: op.mid } }, { doc: { status: op.status } });
          break;
        case 'putDelivery':
          docs.push({ index: { _index: names.deliveries, _id: op.doc.id } }, op.doc);
          break;
        case 'recount':
          if (!upserted.has(op.mid))
            docs.push(
              { update: { _index: names.messages, _id: op.mid } },
              { doc: counts.get(op.mid) ?? tallies(new Map()) },
            );
          break;
        case 'addToSet':
        case 'holdReceipt':
        case 'putLive':
        case 'putLiveRef':
        case 'putLiveRoot':
        case 'eraseRecipient':
          break;
        case 'putUser':
          docs.push({ index: { _index: names.users, _id: op.doc.uid } }, op.doc);
          break;
        // In op order with the puts: a document made by events after the erasure follows it.
        case 'dropUser':
          docs.push({ delete: { _index: names.users, _id: op.uid } });
          break;
        case 'putCheckIn':
          docs.push({ index: { _index: names.checkins, _id: op.doc.id } }, op.doc);
          break;
        default: {
          const unhandled: never = op;
          throw new Error(`unknown op ${JSON.stringify(unhandled)}`);
        }
      }
    }
    await bulk(client, docs, refreshEachBatch);
    if (checkpoint !== undefined) await saveCheckpoint(checkpoint.name, checkpoint.position);
  };
