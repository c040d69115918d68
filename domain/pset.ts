// A small persistent set of strings. Thread membership can reach hundreds of thousands of
// uids, and evolve must not mutate the state it was given (cached states are shared), so a
// plain copy-on-write Set would make every subscribe O(members) and a replay quadratic.
// Large sets hash into fixed buckets, so an add or delete copies one bucket plus the bucket
// array; small sets (most threads) stay one Set, so thousands of cached states stay light.
const BUCKETS = 256;
const SMALL = 64;

export type PSet =
  | { readonly kind: 'small'; readonly size: number; readonly values: ReadonlySet<string> }
  | { readonly kind: 'hashed'; readonly size: number; readonly buckets: readonly (ReadonlySet<string> | undefined)[] };

const hash = (s: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0) % BUCKETS;
};

export const emptyPSet: PSet = { kind: 'small', size: 0, values: new Set() };

export const pHas = (set: PSet, value: string): boolean =>
  set.kind === 'small' ? set.values.has(value) : set.buckets[hash(value)]?.has(value) ?? false;

const hashed = (values: Iterable<string>): PSet => {
  const buckets: (Set<string> | undefined)[] = new Array<undefined>(BUCKETS).fill(undefined);
  let size = 0;
  for (const v of values) {
    const i = hash(v);
    const bucket = buckets[i] ?? new Set<string>();
    bucket.add(v);
    buckets[i] = bucket;
    size++;
  }
  return { kind: 'hashed', size, buckets };
};

export const pAdd = (set: PSet, value: string): PSet => {
  if (pHas(set, value)) return set;
  if (set.kind === 'small') {
    return set.size < SMALL ? { kind: 'small', size: set.size + 1, values: new Set(set.values).add(value) } : hashed([...set.values, value]);
  }
  const i = hash(value);
  const buckets = set.buckets.slice();
  buckets[i] = new Set(set.buckets[i]).add(value);
  return { kind: 'hashed', size: set.size + 1, buckets };
};

export const pDelete = (set: PSet, value: string): PSet => {
  if (!pHas(set, value)) return set;
  if (set.kind === 'small') {
    const values = new Set(set.values);
    values.delete(value);
    return { kind: 'small', size: values.size, values };
  }
  const i = hash(value);
  const bucket = new Set(set.buckets[i]);
  bucket.delete(value);
  const buckets = set.buckets.slice();
  buckets[i] = bucket.size === 0 ? undefined : bucket;
  return { kind: 'hashed', size: set.size - 1, buckets };
};

export const pValues = (set: PSet): string[] =>
  set.kind === 'small' ? [...set.values] : set.buckets.flatMap((b) => (b === undefined ? [] : [...b]));
