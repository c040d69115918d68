import * as t from 'io-ts';
import { LIMITS, boundedInt, boundedString } from './bounds.js';

// A/B variants of one message (docs/campaigns.md): each recipient receives one variant's text,
// chosen by a stable hash of (mid, uid) weighted by `weight` (domain/variants.ts). Stored in
// `MessagePublished.opts.variants`, so every read model that keeps a message's opts keeps them.
// Bounded so that a message with every variant at its largest stays within one text's limit.

export const MAX_VARIANTS = 8;
export const MAX_VARIANT_TEXT = 4_096;
export const MAX_VARIANT_WEIGHT = 10_000;

/** Lowercase, short: a variant's name is part of the search projection's set names (`v:<name>:read`). */
export const VariantName = t.refinement(
  t.string,
  (s) => /^[a-z0-9][a-z0-9_-]{0,31}$/.test(s),
  'variant name ([a-z0-9_-], 1..32, lowercase)',
);

export const Variant = t.intersection(
  [
    t.type({
      name: VariantName,
      msg: boundedString(1, MAX_VARIANT_TEXT),
      weight: boundedInt(1, MAX_VARIANT_WEIGHT),
    }),
    t.partial({ subject: boundedString(0, LIMITS.subject) }),
  ],
  'Variant',
);
export type Variant = t.TypeOf<typeof Variant>;

const distinctNames = (vs: readonly Variant[]): boolean => new Set(vs.map((v) => v.name)).size === vs.length;

/** 2..8 variants with distinct names; every weight 1..10000 (so the total is positive). */
export const Variants = t.refinement(
  t.array(Variant),
  (vs) => vs.length >= 2 && vs.length <= MAX_VARIANTS && distinctNames(vs),
  `list of 2..${MAX_VARIANTS} variants with distinct names`,
);
export type Variants = t.TypeOf<typeof Variants>;
