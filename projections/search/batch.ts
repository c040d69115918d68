import { deliveryId } from '../../schema/search-documents.js';
import type { DeliveryDoc, MessageDoc } from '../../schema/search-documents.js';
import type { SearchOp, SearchWriter } from '../../ports/search.js';
import { mergeReceipt } from './deliveries.js';
import type { Plan } from './plan.js';

// A plan -> the port's ops. Delivery documents are read, merged and written whole (no
// engine-side scripts); counts are `recount` ops, so the store sets them to the sizes of
// the receipt sets after this batch's members were added, never incrementing.

const unique = <T>(xs: readonly T[]): T[] => [...new Set(xs)];
const dueOf = (m: MessageDoc | undefined): number | null => (m === undefined ? null : Date.parse(m.scheduled ?? m.at));

export const toOps = async (plan: Plan, index: Pick<SearchWriter, 'messages' | 'deliveries'>): Promise<SearchOp[]> => {
  const ops: SearchOp[] = [
    ...plan.erasures.map((uid): SearchOp => ({ kind: 'eraseRecipient', uid })),
    ...plan.creates.map((doc): SearchOp => {
      const to = plan.directTo.get(doc.mid);
      return to === undefined ? { kind: 'createMessage', doc } : { kind: 'createMessage', doc, to };
    }),
    ...plan.statuses.map(({ mid, status }): SearchOp => ({ kind: 'setMessageStatus', mid, status })),
  ];
  if (plan.receipts.length === 0) return ops;
  const created = new Map(plan.creates.map((d) => [d.mid, d]));
  const ids = unique(plan.receipts.map((r) => deliveryId(r.mid, r.uid, r.channel)));
  const mids = unique(plan.receipts.map((r) => r.mid));
  const [stored, messages] = await Promise.all([
    index.deliveries(ids),
    index.messages(mids.filter((m) => !created.has(m))),
  ]);
  const docs = new Map<string, DeliveryDoc>(stored);
  for (const r of plan.receipts) {
    const id = deliveryId(r.mid, r.uid, r.channel);
    docs.set(id, mergeReceipt(docs.get(id), r, dueOf(created.get(r.mid) ?? messages.get(r.mid))));
  }
  for (const id of ids) {
    const doc = docs.get(id);
    if (doc !== undefined) ops.push({ kind: 'putDelivery', doc });
  }
  const members = new Map(plan.receipts.map((r) => [`${r.mid}/${r.status}/${r.uid}`, r]));
  for (const r of members.values()) ops.push({ kind: 'addToSet', mid: r.mid, status: r.status, uid: r.uid });
  for (const mid of mids) ops.push({ kind: 'recount', mid });
  return ops;
};
