import { deliveryId } from '../../schema/search-documents.js';
import type { DeliveryDoc, MessageDoc } from '../../schema/search-documents.js';
import { midsForVariants, variantOps } from './variant-marks.js';
import type { SearchOp, SearchWriter } from '../../ports/search.js';
import { mergeReceipt } from './deliveries.js';
import type { Plan } from './plan.js';
import { appendAll } from '../../domain/append-all.js';

// A plan -> the port's ops. Delivery documents are read, merged and written whole (no
// engine-side scripts); counts are `recount` ops, so the store sets them to the sizes of
// the receipt sets after this batch's members were added, never incrementing.

const unique = <T>(xs: readonly T[]): T[] => [...new Set(xs)];

/**
 * `known`: the A/B variants of messages whose documents the caller knows without reading them (it
 * saw their MessagePublished: handler.ts `recent`). A funnel mark needs only a message's variants,
 * and reading the document back for them was a tenth of the search worker's time per send (issue 15).
 */
export const toOps = async (
  plan: Plan,
  index: Pick<SearchWriter, 'messages' | 'deliveries'>,
  known: ReadonlyMap<string, MessageDoc['variants']> = new Map(),
): Promise<SearchOp[]> => {
  const ops: SearchOp[] = [
    ...plan.erasures.map((uid): SearchOp => ({ kind: 'eraseRecipient', uid })),
    ...plan.creates.map((doc): SearchOp => {
      const to = plan.directTo.get(doc.mid);
      return to === undefined ? { kind: 'createMessage', doc } : { kind: 'createMessage', doc, to };
    }),
    ...plan.statuses.map(({ mid, status }): SearchOp => ({ kind: 'setMessageStatus', mid, status })),
    ...plan.held.map((receipt): SearchOp => ({ kind: 'holdReceipt', receipt })),
  ];
  const created = new Map(plan.creates.map((d) => [d.mid, d]));
  const mids = unique(plan.receipts.map((r) => r.mid));
  // Documents of the messages receipts and funnel marks name: one read for both.
  // Receipts need the whole document (due time, thread); marks only the variants.
  const wanted = unique([...mids, ...midsForVariants(plan.marks).filter((m) => !known.has(m))]).filter(
    (m) => !created.has(m),
  );
  const ids = unique(plan.receipts.map((r) => deliveryId(r.mid, r.uid, r.channel)));
  const [stored, messages] = await Promise.all([
    ids.length === 0 ? new Map<string, DeliveryDoc>() : index.deliveries(ids),
    wanted.length === 0 ? new Map<string, MessageDoc>() : index.messages(wanted),
  ]);
  const markOps = [
    ...plan.marks.map((m): SearchOp => ({ kind: 'addToSet', mid: m.mid, status: m.set, uid: m.uid })),
    ...variantOps(plan.marks, (mid) => {
      const doc = created.get(mid) ?? messages.get(mid);
      return doc !== undefined ? doc.variants : known.get(mid);
    }),
    // A list's counts before the list: a store that has the list has its counts (live.ts); a root
    // before the first reference to it.
    ...plan.lives.flatMap((l): SearchOp[] => [
      ...l.counts.map(([status, n]): SearchOp => ({ kind: 'addToSet', mid: l.mid, status, uid: l.key, n })),
      ...(l.root === undefined
        ? [{ kind: 'putLive', mid: l.mid, key: l.key, uids: l.uids } as const]
        : [
            ...(l.root.store ? [{ kind: 'putLiveRoot', root: l.root.id, uids: l.uids } as const] : []),
            { kind: 'putLiveRef', mid: l.mid, key: l.key, root: l.root.id } as const,
          ]),
    ]),
  ];
  const counted = [...plan.marks.map((m) => m.mid), ...plan.lives.map((l) => l.mid)];
  if (plan.receipts.length === 0) {
    appendAll(ops, markOps);
    for (const mid of unique(counted)) ops.push({ kind: 'recount', mid });
    return ops;
  }

  const docs = new Map<string, DeliveryDoc>(stored);
  for (const r of plan.receipts) {
    const id = deliveryId(r.mid, r.uid, r.channel);
    docs.set(id, mergeReceipt(docs.get(id), r, created.get(r.mid) ?? messages.get(r.mid)));
  }
  for (const id of ids) {
    const doc = docs.get(id);
    if (doc !== undefined) ops.push({ kind: 'putDelivery', doc });
  }
  const members = new Map(plan.receipts.map((r) => [`${r.mid}/${r.status}/${r.uid}`, r]));
  for (const r of members.values()) ops.push({ kind: 'addToSet', mid: r.mid, status: r.status, uid: r.uid });
  appendAll(ops, markOps);
  for (const mid of unique([...mids, ...counted])) ops.push({ kind: 'recount', mid });
  return ops;
};
