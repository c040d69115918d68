import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import type { JsonObject } from '../schema/json.js';
import { MessageOpts } from '../schema/message.js';
import { invalid } from './errors.js';
import type { DomainError } from './errors.js';
import { Variants } from '../schema/variants.js';
import type { Variant } from '../schema/variants.js';

// A/B variant assignment (docs/campaigns.md): a pure function of (mid, uid) and the weights,
// so every reader (triage, dispatch, the inbox, live sessions, the search projection) assigns
// a recipient the same variant without sharing state, and a replay assigns it again the same.

// cyrb53 (public domain): a 53-bit string hash with good avalanche, no dependency, and the
// same in every runtime. Not a security boundary: a sender knows the texts of every variant.
const hash53 = (s: string): number => {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i += 1) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
};

/** A point in [0, 1) for (mid, uid): a NUL cannot occur in either id, so no two pairs share a key. */
export const bucketOf = (mid: string, uid: string): number => hash53(`${mid}\u0000${uid}`) / 2 ** 53;

/** The variant of `uid` for message `mid`: the one whose share of the total weight holds its point. */
export const assignVariant = <V extends Pick<Variant, 'weight'>>(
  variants: readonly V[],
  mid: string,
  uid: string,
): V => {
  const total = variants.reduce((sum, v) => sum + v.weight, 0);
  let point = bucketOf(mid, uid) * total;
  for (const v of variants) {
    if (point < v.weight) return v;
    point -= v.weight;
  }
  const last = variants[variants.length - 1];
  if (last === undefined) throw new Error('assignVariant needs at least one variant');
  return last;
};

/** The message's variants, if its opts carry valid ones (a stored event's opts were checked when written). */
export const variantsOf = (opts: JsonObject): readonly Variant[] | undefined => {
  const v = opts.variants;
  return v !== undefined && Variants.is(v) ? v : undefined;
};

/**
 * The message as `uid` receives it: the assigned variant's text (and subject, when it has one),
 * and opts without the other variants (a recipient never learns what the others were sent).
 */
export const forRecipient = <M extends { readonly msg: string; readonly opts: JsonObject; readonly subject?: string }>(
  m: M,
  mid: string,
  uid: string,
): M => {
  const variants = variantsOf(m.opts);
  if (variants === undefined) return m;
  const v = assignVariant(variants, mid, uid);
  const opts = Object.fromEntries(Object.entries(m.opts).filter(([k]) => k !== 'variants'));
  const subject = v.subject ?? m.subject;
  return { ...m, msg: v.msg, opts, ...(subject === undefined ? {} : { subject }) };
};

/** The name of the variant `uid` is assigned for `mid`, or undefined for a message without variants. */
export const variantName = (opts: JsonObject, mid: string, uid: string): string | undefined => {
  const variants = variantsOf(opts);
  return variants === undefined ? undefined : assignVariant(variants, mid, uid).name;
};

/** Recipients of one batch by assigned variant (MessageTriaged `variants`): empty without variants. */
export const assignAll = (opts: JsonObject, mid: string, uids: readonly string[]): Record<string, string[]> => {
  const variants = variantsOf(opts);
  if (variants === undefined) return {};
  // A Map, not `out[name] ??= []`: a valid name such as `constructor` is inherited by a plain
  // object, so that line would push onto Object and fail triage's batch for ever.
  const out = new Map<string, string[]>();
  for (const uid of uids) {
    const name = assignVariant(variants, mid, uid).name;
    const list = out.get(name);
    if (list === undefined) out.set(name, [uid]);
    else list.push(uid);
  }
  return Object.fromEntries(out);
};

/**
 * Variants given beside opts must still fit opts' own limits once merged into it (the event's
 * codec checks `opts` whole); each variant was checked by the request's codec.
 */
export const checkVariants = (opts: JsonObject): Either<DomainError, void> =>
  !Object.hasOwn(opts, 'variants') || MessageOpts.is(opts)
    ? E.right(undefined)
    : E.left(
        invalid(
          'VariantsAreInvalid',
          'variants: 2..8 variants with distinct names that, with opts, fit the opts limits',
        ),
      );
