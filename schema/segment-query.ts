import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import { dayIsInMonth } from './bounds.js';
import { ATTRIBUTE_NAME, DIRECTORY_LIMITS, REACHABLE_CHANNELS } from './user-directory.js';
import type { Scalar } from './user-directory.js';

// The segment filter language: a small tree callers send as JSON, compiled by each search
// engine (never passed through as engine DSL). Decoded by hand, iteratively bounded in depth and
// size, so an error can name the path of the bad node (`query.all[2].attribute`).

export type SegmentQuery =
  | { readonly tag: string }
  | { readonly channel: string }
  | { readonly attribute: string; readonly eq: Scalar }
  | { readonly attribute: string; readonly in: readonly Scalar[] }
  | { readonly attribute: string; readonly gt: number }
  | { readonly attribute: string; readonly lt: number }
  | { readonly lastSeen: { readonly after?: string; readonly before?: string } }
  | { readonly all: readonly SegmentQuery[] }
  | { readonly any: readonly SegmentQuery[] }
  | { readonly not: SegmentQuery };

export const SEGMENT_LIMITS = { depth: 8, nodes: 100, inValues: 100 } as const;

export interface SegmentQueryError {
  readonly path: string;
  readonly msg: string;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const OPS = ['eq', 'in', 'gt', 'lt'] as const;
const NODE_FORMS =
  'one of {tag}, {channel}, {attribute, eq|in|gt|lt}, {lastSeen: {after, before}}, {all: [..]}, {any: [..]}, {not: ..}';

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);
// The bound is said: a longer string was refused as if it were no string at all.
const SCALAR_MSG = `expected a string of at most ${DIRECTORY_LIMITS.value} characters, a number or a boolean`;
const isScalar = (u: unknown): u is Scalar =>
  (typeof u === 'string' && u.length <= DIRECTORY_LIMITS.value) ||
  typeof u === 'boolean' ||
  (typeof u === 'number' && Number.isFinite(u));

type R<A> = Either<SegmentQueryError, A>;
const bad = (path: string, msg: string): R<never> => E.left({ path, msg });

const only = (path: string, o: Record<string, unknown>, keys: readonly string[]): R<true> => {
  const extra = Object.keys(o).find((k) => !keys.includes(k));
  return extra === undefined ? E.right(true) : bad(`${path}.${extra}`, `unknown field next to ${keys.join(', ')}`);
};

// A day past its month's end (Date.parse would move it to the next month: bounds.ts), and an
// instant an offset moves out of years 0000..9999, where toISOString writes a six-digit year that
// the stored query's decoding refuses: both are refused here, not saved as another instant.
const instant = (path: string, u: unknown): R<string> => {
  const ms = typeof u === 'string' && ISO.test(u) && dayIsInMonth(u) ? Date.parse(u) : Number.NaN;
  const out = Number.isNaN(ms) ? '' : new Date(ms).toISOString();
  return ISO.test(out)
    ? E.right(out)
    : bad(path, 'expected an ISO 8601 instant with a zone, e.g. 2026-01-01T00:00:00Z');
};

const REACHABLE: ReadonlySet<string> = new Set(REACHABLE_CHANNELS);
const STORED_CHANNEL = /^[a-z][a-z0-9_-]{0,31}$/;

const leaf = (path: string, o: Record<string, unknown>, stored: boolean): R<SegmentQuery> => {
  if ('tag' in o) {
    const v = o['tag'];
    if (typeof v !== 'string' || v.length === 0 || v.length > DIRECTORY_LIMITS.key)
      return bad(`${path}.tag`, `expected a tag of 1..${DIRECTORY_LIMITS.key} characters`);
    return E.map(() => ({ tag: v }))(only(path, o, ['tag']));
  }
  if ('channel' in o) {
    const v = o['channel'];
    // A closed set for callers: a misspelt or websocket-only channel would select nobody, silently.
    // Stored queries decode as they were accepted (before the set was closed, any such name).
    if (typeof v !== 'string' || !(stored ? STORED_CHANNEL.test(v) : REACHABLE.has(v)))
      return bad(`${path}.channel`, `expected one of ${REACHABLE_CHANNELS.join(', ')}`);
    return E.map(() => ({ channel: v }))(only(path, o, ['channel']));
  }
  if ('lastSeen' in o) {
    const v = o['lastSeen'];
    const p = `${path}.lastSeen`;
    if (!isObject(v) || (v['after'] === undefined && v['before'] === undefined))
      return bad(p, 'expected {"after": ISO} and/or {"before": ISO}');
    const extra = Object.keys(v).find((k) => k !== 'after' && k !== 'before');
    if (extra !== undefined) return bad(`${p}.${extra}`, 'unknown field (after, before)');
    const after = v['after'] === undefined ? E.right(undefined) : instant(`${p}.after`, v['after']);
    if (E.isLeft(after)) return after;
    const before = v['before'] === undefined ? E.right(undefined) : instant(`${p}.before`, v['before']);
    if (E.isLeft(before)) return before;
    return E.map(() => ({
      lastSeen: {
        ...(after.right === undefined ? {} : { after: after.right }),
        ...(before.right === undefined ? {} : { before: before.right }),
      },
    }))(only(path, o, ['lastSeen']));
  }
  if ('attribute' in o) {
    const k = o['attribute'];
    if (typeof k !== 'string' || !ATTRIBUTE_NAME.test(k))
      return bad(`${path}.attribute`, 'expected an attribute name (letters, digits, _ and -, at most 64)');
    const ops = OPS.filter((op) => op in o);
    if (ops.length !== 1) return bad(path, 'an attribute test takes exactly one of eq, in, gt, lt');
    const op = ops[0] ?? 'eq';
    const v = o[op];
    const checked = only(path, o, ['attribute', op]);
    if (E.isLeft(checked)) return checked;
    switch (op) {
      case 'eq':
        return isScalar(v) ? E.right({ attribute: k, eq: v }) : bad(`${path}.eq`, SCALAR_MSG);
      case 'in': {
        if (!Array.isArray(v) || v.length === 0 || v.length > SEGMENT_LIMITS.inValues)
          return bad(`${path}.in`, `expected a list of 1..${SEGMENT_LIMITS.inValues} values`);
        const i = v.findIndex((x) => !isScalar(x));
        return i === -1 ? E.right({ attribute: k, in: v as Scalar[] }) : bad(`${path}.in[${i}]`, SCALAR_MSG);
      }
      default:
        return typeof v === 'number' && Number.isFinite(v)
          ? E.right(op === 'gt' ? { attribute: k, gt: v } : { attribute: k, lt: v })
          : bad(`${path}.${op}`, 'expected a number');
    }
  }
  return bad(path, `expected ${NODE_FORMS}`);
};

/**
 * Decodes a segment query; the error names the path of the first bad node under `root`.
 * `stored`: a query read back from the log, which may name a channel outside today's set.
 */
export const decodeSegmentQuery = (u: unknown, root = 'query', stored = false): R<SegmentQuery> => {
  let nodes = 0;
  const go = (v: unknown, path: string, depth: number): R<SegmentQuery> => {
    if (++nodes > SEGMENT_LIMITS.nodes) return bad(path, `a query may have at most ${SEGMENT_LIMITS.nodes} nodes`);
    if (depth > SEGMENT_LIMITS.depth) return bad(path, `a query may nest at most ${SEGMENT_LIMITS.depth} deep`);
    if (!isObject(v)) return bad(path, `expected ${NODE_FORMS}`);
    for (const kind of ['all', 'any'] as const) {
      if (!(kind in v)) continue;
      const list = v[kind];
      if (!Array.isArray(list)) return bad(`${path}.${kind}`, 'expected a list of queries');
      const checked = only(path, v, [kind]);
      if (E.isLeft(checked)) return checked;
      const out: SegmentQuery[] = [];
      for (const [i, x] of (list as unknown[]).entries()) {
        const q = go(x, `${path}.${kind}[${i}]`, depth + 1);
        if (E.isLeft(q)) return q;
        out.push(q.right);
      }
      return E.right(kind === 'all' ? { all: out } : { any: out });
    }
    if ('not' in v) {
      const checked = only(path, v, ['not']);
      if (E.isLeft(checked)) return checked;
      return E.map((q: SegmentQuery) => ({ not: q }))(go(v['not'], `${path}.not`, depth + 1));
    }
    return leaf(path, v, stored);
  };
  return go(u, root, 1);
};

/** The query as one canonical text (keys in a fixed order): what content hashes and segment records store. */
export const canonicalQuery = (q: SegmentQuery): string => JSON.stringify(q);

/** The query as an io-ts codec, for stored events (a stored query decodes as it was accepted). */
export const SegmentQueryC = new t.Type<SegmentQuery, SegmentQuery, unknown>(
  'SegmentQuery',
  (u): u is SegmentQuery => E.isRight(decodeSegmentQuery(u, 'query', true)),
  (u, c) => {
    const r = decodeSegmentQuery(u, 'query', true);
    return E.isRight(r) ? t.success(r.right) : t.failure(u, c, `${r.left.path}: ${r.left.msg}`);
  },
  t.identity,
);
