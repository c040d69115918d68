import type * as t from 'io-ts';
import { preview } from './json.js';

// Turns io-ts errors into messages that name the offending field by its path
// (`opts.urgency`, `uids.3`), which is what API clients and operators need to fix a request.
// io-ts puts union/intersection member indexes into the path as numeric keys; keep a numeric
// key only where the value it indexes into is an array, i.e. a real element index.
// Bounded: the keys are the codecs' own, but record keys and array indexes come from input.
export const errorPath = (e: t.ValidationError): string => {
  const path = e.context
    .filter((c, i) => c.key !== '' && (!/^\d+$/.test(c.key) || Array.isArray(e.context[i - 1]?.actual)))
    .map((c) => c.key)
    .join('.');
  return path.length > 120 ? `${path.slice(0, 120)}…` : path;
};

// Values of secret-looking fields are never echoed back (they end up in logs and terminals).
const SECRET = /SECRET|PASSWORD|TOKEN|PRIVATE|_KEY$/i;

// A `t.keyof` (a set of names) says which names it takes: its own name may be just the field's
// (onadata's `target_type`), which told a client nothing ("expected target_type").
const keysOf = (type: t.Decoder<unknown, unknown> | undefined): string | undefined => {
  const k = type as { readonly _tag?: string; readonly keys?: Record<string, unknown> } | undefined;
  return k?._tag === 'KeyofType' && k.keys !== undefined
    ? `expected one of ${Object.keys(k.keys).join(', ')}`
    : undefined;
};

export const describeError = (e: t.ValidationError, expectedInstead?: string): { field: string; msg: string } => {
  const field = errorPath(e) || '(body)';
  const last = e.context[e.context.length - 1];
  const expected =
    expectedInstead ?? e.message ?? keysOf(last?.type) ?? (last ? `expected ${last.type.name}` : 'invalid value');
  const got =
    e.value === undefined
      ? 'missing'
      : SECRET.test(field)
        ? 'value hidden'
        : // A bounded one-level summary: the value may be deep, wide or huge (never JSON.stringify it).
          `got ${preview(e.value)}`;
  return { field, msg: `${field}: ${expected} (${got})` };
};

/** At most this many problems are described; an array of thousands of bad items is one answer, not a megabyte. */
const MAX_DESCRIBED = 10;

const literalOf = (e: t.ValidationError): string | undefined => {
  const last = e.context[e.context.length - 1]?.type as
    | { readonly _tag?: string; readonly value?: unknown }
    | undefined;
  return e.message === undefined && last?._tag === 'LiteralType' ? JSON.stringify(last.value) : undefined;
};

export const describeErrors = (errors: t.Errors): string[] => {
  // A union of literals (urgency 1..4, a kind's names) fails once per member: one message for
  // the field naming them all, not the first member alone ("expected 1").
  const literals = new Map<string, string[]>();
  for (const e of errors) {
    const literal = literalOf(e);
    if (literal === undefined) continue;
    const field = errorPath(e) || '(body)';
    const list = literals.get(field) ?? [];
    if (!list.includes(literal)) list.push(literal);
    literals.set(field, list);
  }
  const seen = new Set<string>();
  const out: string[] = [];
  for (const e of errors) {
    const oneOf = literalOf(e) === undefined ? undefined : literals.get(errorPath(e) || '(body)');
    const { field, msg } = describeError(
      e,
      oneOf !== undefined && oneOf.length > 1 ? `expected one of ${oneOf.join(', ')}` : undefined,
    );
    if (seen.has(field)) continue;
    seen.add(field);
    if (out.length < MAX_DESCRIBED) out.push(msg);
  }
  if (seen.size > MAX_DESCRIBED) out.push(`and ${seen.size - MAX_DESCRIBED} more`);
  return out;
};
