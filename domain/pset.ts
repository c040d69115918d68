// A small persistent set of strings (a hash trie). Thread membership can reach hundreds of
// thousands of uids, and evolve must not mutate the state it was given (cached states are
// shared), so a copy-on-write Set would make each subscribe O(members) and a replay
// quadratic. Here an add or delete copies one path of 32-slot nodes plus one small leaf,
// and a small set (most threads) is a single leaf.
const LEAF_MAX = 32;
const BITS = 5;
const WIDTH = 1 << BITS;
const MAX_DEPTH = 6; // 6 x 5 bits of the hash; deeper than that, leaves just grow.

// Leaves are short arrays: copying 32 strings is cheaper than copying a Set of them.
type Node = { readonly leaf: readonly string[] } | { readonly children: readonly (Node | undefined)[] };

export interface PSet {
  readonly size: number;
  readonly root: Node;
}

const hash = (s: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
};
const slot = (h: number, depth: number): number => (h >>> (depth * BITS)) & (WIDTH - 1);

export const emptyPSet: PSet = { size: 0, root: { leaf: [] } };

const has = (node: Node | undefined, value: string, h: number, depth: number): boolean => {
  if (node === undefined) return false;
  if ('leaf' in node) return node.leaf.includes(value);
  return has(node.children[slot(h, depth)], value, h, depth + 1);
};

const split = (values: readonly string[], depth: number): Node => {
  const groups: (string[] | undefined)[] = new Array<undefined>(WIDTH).fill(undefined);
  for (const v of values) {
    const i = slot(hash(v), depth);
    (groups[i] ??= []).push(v);
  }
  return { children: groups.map((g) => (g === undefined ? undefined : leafOrSplit(g, depth + 1))) };
};
const leafOrSplit = (values: readonly string[], depth: number): Node =>
  values.length > LEAF_MAX && depth < MAX_DEPTH ? split(values, depth) : { leaf: values };

const add = (node: Node | undefined, value: string, h: number, depth: number): Node => {
  if (node === undefined) return { leaf: [value] };
  if ('leaf' in node) return leafOrSplit([...node.leaf, value], depth);
  const children = node.children.slice();
  const i = slot(h, depth);
  children[i] = add(children[i], value, h, depth + 1);
  return { children };
};

const remove = (node: Node | undefined, value: string, h: number, depth: number): Node | undefined => {
  if (node === undefined) return undefined;
  if ('leaf' in node) {
    const leaf = node.leaf.filter((v) => v !== value);
    return leaf.length === 0 && depth > 0 ? undefined : { leaf };
  }
  const children = node.children.slice();
  const i = slot(h, depth);
  children[i] = remove(children[i], value, h, depth + 1);
  return { children };
};

export const pHas = (set: PSet, value: string): boolean => has(set.root, value, hash(value), 0);

export const pAdd = (set: PSet, value: string): PSet =>
  pHas(set, value) ? set : { size: set.size + 1, root: add(set.root, value, hash(value), 0) };

export const pDelete = (set: PSet, value: string): PSet =>
  pHas(set, value) ? { size: set.size - 1, root: remove(set.root, value, hash(value), 0) ?? emptyPSet.root } : set;

const collect = (node: Node | undefined, out: string[]): void => {
  if (node === undefined) return;
  if ('leaf' in node) out.push(...node.leaf);
  else for (const child of node.children) collect(child, out);
};

export const pValues = (set: PSet): string[] => {
  const out: string[] = [];
  collect(set.root, out);
  return out;
};
