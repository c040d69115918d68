import { assignVariant } from '../../domain/variants.js';
import type { MessageDoc } from '../../schema/search-documents.js';
import { stageOfSet, variantSet } from '../../schema/variant-funnel.js';
import type { SearchOp } from '../../ports/search.js';
import type { Mark } from './plan.js';

// Per-variant funnel sets (schema/variant-funnel.ts): each funnel mark of a message with A/B
// variants is mirrored into the set of the recipient's variant. The variant is recomputed from
// the message's weights (domain/variants.ts, the same function triage recorded it with), so a
// receipt, which names no variant, lands in the right one.

/** The mids whose documents the variant marks need (those not created in the batch). */
export const midsForVariants = (marks: readonly Mark[]): string[] => [
  ...new Set(marks.filter((m) => stageOfSet(m.set) !== undefined).map((m) => m.mid)),
];

export const variantOps = (marks: readonly Mark[], variantsOf: (mid: string) => MessageDoc['variants']): SearchOp[] => {
  const ops: SearchOp[] = [];
  for (const m of marks) {
    const stage = stageOfSet(m.set);
    if (stage === undefined) continue;
    const variants = variantsOf(m.mid);
    if (variants === undefined || variants.length === 0) continue;
    const name = assignVariant(variants, m.mid, m.uid).name;
    ops.push({ kind: 'addToSet', mid: m.mid, status: variantSet(name, stage), uid: m.uid });
  }
  return ops;
};
