// A message's funnel per A/B variant (docs/campaigns.md): the search projection keeps, beside a
// message's funnel sets, one uid set per variant and stage, named `v:<variant>:<stage>`
// (variant names are [a-z0-9_-], so the name parses back). Both engines answer the sizes of
// those sets; this one function turns them into the answer.

export const VARIANT_STAGES = ['addressed', 'sent', 'delivered', 'seen', 'read', 'clicked'] as const;
export type VariantStage = (typeof VARIANT_STAGES)[number];
export const VARIANT_SET_PREFIX = 'v:';

export type VariantFunnel = { readonly variant: string } & Readonly<Record<VariantStage, number>>;

export const variantSet = (variant: string, stage: VariantStage): `v:${string}` => `v:${variant}:${stage}`;

/** The funnel-set name a per-variant set mirrors: `f:addressed`, `f:sent`, `f:reached:<stage>`. */
export const stageOfSet = (set: string): VariantStage | undefined => {
  if (set === 'f:addressed') return 'addressed';
  if (set === 'f:sent') return 'sent';
  const m = /^f:reached:(delivered|seen|read|clicked)$/.exec(set);
  return m?.[1] as VariantStage | undefined;
};

/** Sizes of `v:` sets -> one funnel per variant, by name; every stage present (0 when empty). */
export const variantFunnels = (sizes: Iterable<readonly [string, number]>): VariantFunnel[] => {
  const by = new Map<string, Record<VariantStage, number>>();
  for (const [set, n] of sizes) {
    const m = /^v:([a-z0-9][a-z0-9_-]{0,31}):([a-z]+)$/.exec(set);
    const stage = m?.[2] as VariantStage | undefined;
    if (m?.[1] === undefined || stage === undefined || !VARIANT_STAGES.includes(stage)) continue;
    const f = by.get(m[1]) ?? (Object.fromEntries(VARIANT_STAGES.map((s) => [s, 0])) as Record<VariantStage, number>);
    f[stage] = n;
    by.set(m[1], f);
  }
  return [...by.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([variant, f]) => ({ variant, ...f }));
};
