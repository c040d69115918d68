// A case is plain JSON data, so that a failing one printed by fast-check can be pasted into
// the regression corpus as it is. What a case cannot hold literally is a string leaf marked
// with \u0001, resolved when the case runs:
//   \u0001ref:<kind>:<n>   the n-th id of that kind the run has seen (tid, mid, uid), a fresh
//                          never-used id (fresh), or a stream name (stream)
//   \u0001raw:<text>       JSON text written verbatim (1e309, -0.0, 20-digit integers)
//   \u0001rep:<n>:<unit>   a string of `unit` repeated n times (huge values stay short in a case)
//   \u0001deep:<c>:<n>     raw JSON nested n levels deep ('[' arrays, '{' objects)
//   \u0001t:<ms|iso>:<d>   now + d milliseconds, as epoch ms or ISO-8601 (dates relative to the run)
export type IdKind = 'tid' | 'mid' | 'uid' | 'fresh' | 'stream';
export type Value = null | boolean | number | string | Value[] | { [k: string]: Value };

const MARK = '\u0001';
export const ref = (kind: IdKind, n: number): string => `${MARK}ref:${kind}:${n}`;
export const raw = (text: string): string => `${MARK}raw:${text}`;
export const rep = (unit: string, n: number): string => `${MARK}rep:${n}:${unit}`;
export const deep = (open: '[' | '{', n: number): string => `${MARK}deep:${open}:${n}`;
export const at = (form: 'ms' | 'iso', offsetMs: number): string => `${MARK}t:${form}:${offsetMs}`;

export interface Resolver {
  id(kind: IdKind, n: number): string;
  now(): number;
}

type Leaf = { kind: 'text'; text: string } | { kind: 'raw'; text: string } | { kind: 'number'; value: number };

const nested = (open: string, n: number): string =>
  open === '[' ? `${'['.repeat(n)}${']'.repeat(n)}` : `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;

const iso = (ms: number): string => {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? `${ms}` : d.toISOString();
};

/** What a marked leaf stands for; an unmarked string is itself. */
export const resolveLeaf = (s: string, r: Resolver): Leaf => {
  if (!s.startsWith(MARK)) return { kind: 'text', text: s };
  const body = s.slice(1);
  const [tag = '', a = '', ...rest] = body.split(':');
  const b = rest.join(':');
  switch (tag) {
    case 'ref':
      return { kind: 'text', text: r.id(a as IdKind, Number(b)) };
    case 'raw':
      return { kind: 'raw', text: body.slice(4) };
    case 'rep':
      return { kind: 'text', text: b.repeat(Number(a)) };
    case 'deep':
      return { kind: 'raw', text: nested(a, Number(b)) };
    case 't': {
      const ms = r.now() + Number(b);
      return a === 'ms' ? { kind: 'number', value: ms } : { kind: 'text', text: iso(ms) };
    }
    default:
      return { kind: 'text', text: s };
  }
};

const keyText = (k: string, r: Resolver): string => {
  const leaf = resolveLeaf(k, r);
  return leaf.kind === 'text' ? leaf.text : k;
};

/** JSON text of a case value, marked leaves resolved (recursive: case values nest at most ~40 levels; deeper ones are `deep` leaves). */
export const renderJson = (v: Value, r: Resolver): string => {
  if (typeof v === 'string') {
    const leaf = resolveLeaf(v, r);
    if (leaf.kind === 'raw') return leaf.text;
    if (leaf.kind === 'number') return JSON.stringify(leaf.value);
    return JSON.stringify(leaf.text);
  }
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((x) => renderJson(x, r)).join(',')}]`;
  return `{${Object.entries(v)
    .map(([k, x]) => `${JSON.stringify(keyText(k, r))}:${renderJson(x, r)}`)
    .join(',')}}`;
};

/** The value a case meant to send, as the server should read it back (marked leaves resolved, raw ones parsed). */
export const resolveValue = (v: Value, r: Resolver): unknown => JSON.parse(renderJson(v, r)) as unknown;

/** A path segment or query value: ids percent-encoded, everything else written as the case says. */
export const renderText = (s: string, r: Resolver): string => {
  const leaf = resolveLeaf(s, r);
  if (leaf.kind === 'number') return String(leaf.value);
  if (s.startsWith(`${MARK}ref:`)) return encodeURIComponent(leaf.text);
  return leaf.text;
};
