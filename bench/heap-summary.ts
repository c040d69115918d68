// What a V8 heap snapshot holds, without DevTools (issue 13, "memory bounded"): objects by
// class (constructor, or V8's type for strings, arrays and system objects) with their count and
// self size, and, given an earlier snapshot of the same process (node ids are stable within a
// process), what is new since it, by class and by the path that keeps it alive (the retainer
// nearest a GC root, step by step, indices folded to []), as DevTools' "Retainers" would show.
//   npx vite-node bench/heap-summary.ts [EARLIER.heapsnapshot] LATER.heapsnapshot
// The file is read whole into a Buffer and its number arrays scanned in place: a snapshot of a
// few hundred MiB is larger than a string JSON.parse can take.
import { readFileSync } from 'node:fs';

interface Snapshot {
  readonly nodeFields: number;
  readonly nodes: Uint32Array;
  readonly edges: Uint32Array;
  readonly strings: readonly string[];
  readonly nodeTypes: readonly string[];
  readonly edgeTypes: readonly string[];
  readonly firstEdge: Uint32Array; // per node, its first edge's offset in `edges`
}

const numbers = (buf: Buffer, key: string, count: number): Uint32Array => {
  let i = buf.indexOf(`"${key}":[`) + key.length + 4;
  const out = new Uint32Array(count);
  let n = 0;
  let v = 0;
  let inNumber = false;
  for (; n < count; i += 1) {
    const c = buf[i] ?? 93;
    if (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      inNumber = true;
    } else {
      if (inNumber) out[n++] = v;
      v = 0;
      inNumber = false;
      if (c === 93) break;
    }
  }
  if (n !== count) throw new Error(`${key}: ${String(n)} of ${String(count)} numbers`);
  return out;
};

const read = (file: string): Snapshot => {
  const buf = readFileSync(file);
  const headEnd = buf.indexOf('"nodes":[');
  const head = JSON.parse(`${buf.subarray(0, headEnd).toString().replace(/,\s*$/, '')}}`) as {
    snapshot: {
      meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] };
      node_count: number;
      edge_count: number;
    };
  };
  const { meta } = head.snapshot;
  const nodeFields = meta.node_fields.length;
  const nodes = numbers(buf, 'nodes', head.snapshot.node_count * nodeFields);
  const edges = numbers(buf, 'edges', head.snapshot.edge_count * meta.edge_fields.length);
  const at = buf.indexOf('"strings":[') + 10;
  const strings = JSON.parse(buf.subarray(at, buf.lastIndexOf(']') + 1).toString()) as string[];
  const firstEdge = new Uint32Array(head.snapshot.node_count + 1);
  for (let n = 0; n < head.snapshot.node_count; n += 1)
    firstEdge[n + 1] = (firstEdge[n] ?? 0) + (nodes[n * nodeFields + 4] ?? 0) * 3;
  return { nodeFields, nodes, edges, strings, nodeTypes: meta.node_types[0], edgeTypes: meta.edge_types[0], firstEdge };
};

const field = (s: Snapshot, n: number, f: number): number => s.nodes[n * s.nodeFields + f] ?? 0;
const classOf = (s: Snapshot, n: number): string => {
  const type = s.nodeTypes[field(s, n, 0)] ?? '?';
  const name = s.strings[field(s, n, 1)] ?? '';
  if (type === 'object' || type === 'closure' || type === 'native')
    return type === 'object' ? name : `${name} (${type})`;
  if (type.includes('string')) return '(string)';
  return `(${type}) ${name.slice(0, 40)}`;
};

// Each node's retainer nearest a root (breadth first from node 0 over edges that are not weak),
// as the edge offset that reaches it: a path to a root is then followed back step by step.
const nearestRetainers = (s: Snapshot): { via: Int32Array; from: Int32Array } => {
  const count = s.firstEdge.length - 1;
  const via = new Int32Array(count).fill(-1);
  const from = new Int32Array(count).fill(-1);
  const weak = s.edgeTypes.indexOf('weak');
  const queue = new Uint32Array(count);
  let head = 0;
  let tail = 0;
  queue[tail++] = 0;
  from[0] = 0;
  while (head < tail) {
    const n = queue[head++] ?? 0;
    for (let e = s.firstEdge[n] ?? 0; e < (s.firstEdge[n + 1] ?? 0); e += 3) {
      if (s.edges[e] === weak) continue;
      const to = (s.edges[e + 2] ?? 0) / s.nodeFields;
      if (from[to] !== -1) continue;
      from[to] = n;
      via[to] = e;
      queue[tail++] = to;
    }
  }
  return { via, from };
};

const edgeName = (s: Snapshot, e: number): string => {
  const type = s.edgeTypes[s.edges[e] ?? 0] ?? '?';
  const nameOrIndex = s.edges[e + 1] ?? 0;
  return type === 'element' || type === 'hidden' ? '[]' : (s.strings[nameOrIndex] ?? '?');
};

const pathOf = (s: Snapshot, r: ReturnType<typeof nearestRetainers>, n: number, depth: number): string => {
  const steps: string[] = [];
  for (let at = n, d = 0; d < depth && at > 0 && (r.from[at] ?? -1) >= 0; d += 1) {
    steps.push(`${classOf(s, r.from[at] ?? 0)}.${edgeName(s, r.via[at] ?? 0)}`);
    at = r.from[at] ?? 0;
  }
  return steps.join(' <- ');
};

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
const top = (m: Map<string, { count: number; size: number }>, k: number): [string, { count: number; size: number }][] =>
  [...m].sort((a, b) => b[1].size - a[1].size).slice(0, k);
const add = (m: Map<string, { count: number; size: number }>, key: string, size: number): void => {
  const v = m.get(key) ?? { count: 0, size: 0 };
  v.count += 1;
  v.size += size;
  m.set(key, v);
};

const files = process.argv.slice(2);
const later = read(files[files.length - 1] ?? '');
// One snapshot alone: everything in it counts as new, so its paths are shown too.
const earlier = files.length > 1 ? read(files[0] ?? '') : undefined;
const earlierIds = new Set<number>();
if (earlier !== undefined)
  for (let n = 0; n < earlier.firstEdge.length - 1; n += 1) earlierIds.add(field(earlier, n, 2));

const byClass = new Map<string, { count: number; size: number }>();
const fresh = new Map<string, { count: number; size: number }>();
const freshNodes: number[] = [];
let total = 0;
for (let n = 0; n < later.firstEdge.length - 1; n += 1) {
  const size = field(later, n, 3);
  total += size;
  add(byClass, classOf(later, n), size);
  if (earlier === undefined || !earlierIds.has(field(later, n, 2))) {
    add(fresh, classOf(later, n), size);
    freshNodes.push(n);
  }
}
console.log(`${files[files.length - 1] ?? ''}: ${String(later.firstEdge.length - 1)} objects, ${mib(total)} MiB`);
for (const [k, v] of top(byClass, 25))
  console.log(`  ${mib(v.size).padStart(8)} MiB ${String(v.count).padStart(9)}  ${k}`);
const freshTotal = [...fresh.values()].reduce((a, v) => a + v.size, 0);
console.log(`new since ${files[0] ?? 'the start'}: ${String(freshNodes.length)} objects, ${mib(freshTotal)} MiB`);
const r = nearestRetainers(later);
const paths = new Map<string, Map<string, { count: number; size: number }>>();
for (const n of freshNodes) {
  const k = classOf(later, n);
  const m = paths.get(k) ?? new Map<string, { count: number; size: number }>();
  add(m, pathOf(later, r, n, 7), field(later, n, 3));
  paths.set(k, m);
}
console.log('largest new objects (a table of a Map or Set for the whole audience would lead here):');
for (const n of [...freshNodes].sort((a, b) => field(later, b, 3) - field(later, a, 3)).slice(0, 8))
  console.log(`  ${mib(field(later, n, 3)).padStart(8)} MiB  ${classOf(later, n)} <- ${pathOf(later, r, n, 7)}`);
console.log('new objects by class, and the paths that keep most of them:');
for (const [k, v] of top(fresh, 15)) {
  console.log(`  ${mib(v.size).padStart(8)} MiB ${String(v.count).padStart(9)}  ${k}`);
  for (const [p, pv] of top(paths.get(k) ?? new Map<string, { count: number; size: number }>(), 3))
    console.log(`      ${mib(pv.size).padStart(8)} MiB ${String(pv.count).padStart(9)}  <- ${p}`);
}
