import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../../schema/config.js';
import { describeErrors } from '../../../schema/errors.js';
import { MulticastBody, PublishBody } from '../../../schema/http.js';
import { nestingExceeds, parseJson, preview } from '../../../schema/json.js';

// Untrusted JSON is bounded before anything walks it (schema/json.ts): the depth scan agrees
// with the real depth of every value, and descriptions of bad values stay short.
const depthOf = (u: unknown): number =>
  Array.isArray(u)
    ? 1 + Math.max(0, ...u.map(depthOf))
    : typeof u === 'object' && u !== null
      ? 1 + Math.max(0, ...Object.values(u).map(depthOf))
      : 0;

/** A value nested `n` deep, built without recursion (a recursive walk of it is what must never happen). */
const deepValue = (n: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < n; i += 1) v = i % 2 === 0 ? [v] : { a: v };
  return v;
};

describe('the nesting scan', () => {
  it('counts exactly the depth of any JSON value, strings and escapes included', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 10 }), (v, max) => {
        expect(nestingExceeds(JSON.stringify(v), max)).toBe(depthOf(v) > max);
      }),
      { numRuns: 2000 },
    );
  });

  it('ignores brackets in strings, however escaped', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('[', '{', '"', '\\', ']', 'a') }), (s) => {
        expect(nestingExceeds(JSON.stringify({ s }), 1)).toBe(false);
      }),
    );
  });

  it('refuses a million open brackets without parsing them', () => {
    const parsed = parseJson('['.repeat(1_000_000), 32);
    expect(parsed).toEqual({ ok: false, tooDeep: true, detail: 'nested deeper than 32 levels' });
  });

  it('parses what is within the limit, and says briefly what is malformed', () => {
    expect(parseJson('{"a":[1,{"b":null}]}', 3)).toEqual({ ok: true, value: { a: [1, { b: null }] } });
    const bad = parseJson(`{"a":${'x'.repeat(100_000)}}`, 32);
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.detail.length).toBeLessThanOrEqual(201);
  });
});

describe('descriptions of bad values', () => {
  it('are short for deep, wide and huge values and never recurse', () => {
    const wide = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`key-${'k'.repeat(100)}-${i}`, i]));
    for (const v of [deepValue(100_000), wide, 'x'.repeat(1_000_000), Array.from({ length: 100_000 }, () => [])]) {
      expect(preview(v).length).toBeLessThan(120);
    }
    expect(preview(wide)).toBe(
      `an object with keys ${Array(3)
        .fill(`"key-${'k'.repeat(16)}…"`)
        .join(', ')}, … (100000 keys)`,
    );
    expect(preview(Object.create(null) as object)).toBe('an empty object');
  });

  it('describe the first ten problems and count the rest', () => {
    const r = MulticastBody.decode({ msg: 'x', uids: Array.from({ length: 5000 }, (_, i) => i) });
    const msgs = E.isLeft(r) ? describeErrors(r.left) : [];
    expect(msgs).toHaveLength(11);
    expect(msgs[10]).toBe('and 4990 more');
  });

  it('name the field of a deep value without walking it', () => {
    const r = PublishBody.decode({ tid: deepValue(50_000), msg: 'x' });
    expect(E.isLeft(r) ? describeErrors(r.left) : []).toEqual(['tid: expected ThreadId (got an object with key "a")']);
  });
});

describe('MSGXC_JSON_MAX_DEPTH', () => {
  it('defaults to 32 and may lower it to 4, never raise it', () => {
    expect(E.isRight(configFromEnv({})) && configFromEnv({})).toMatchObject({ right: { jsonMaxDepth: 32 } });
    expect(configFromEnv({ MSGXC_JSON_MAX_DEPTH: '4' })).toMatchObject({ right: { jsonMaxDepth: 4 } });
    for (const bad of ['3', '33', 'deep', '-1']) {
      const c = configFromEnv({ MSGXC_JSON_MAX_DEPTH: bad });
      expect(E.isLeft(c) && c.left.join()).toMatch(/^MSGXC_JSON_MAX_DEPTH: expected an integer between 4 and 32/);
    }
  });
});
