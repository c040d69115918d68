import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mutate } from '../../fuzz/bodies.js';
import { at, deep, raw, ref, renderJson, renderText, rep, type Resolver } from '../../fuzz/leaves.js';
import { World } from '../../fuzz/world.js';
import { nestingDepth } from '../../fuzz/ws-run.js';

// Cases are plain data that replay: marked leaves resolve the same way every time, ids by
// index into what the run has seen, and hostile shapes are written exactly as meant.
const resolver: Resolver = { id: (kind, n) => `${kind}${n}`, now: () => 1_000 };

describe('marked leaves', () => {
  it('render ids, raw JSON, repeated and nested text, and dates relative to now', () => {
    expect(
      renderJson(
        { tid: ref('tid', 3), n: raw('1e309'), s: rep('ab', 3), d: deep('[', 3), t: at('ms', 5), i: at('iso', 0) },
        resolver,
      ),
    ).toBe('{"tid":"tid3","n":1e309,"s":"ababab","d":[[[]]],"t":1005,"i":"1970-01-01T00:00:01.000Z"}');
    expect(renderJson({ o: deep('{', 2) }, resolver)).toBe('{"o":{"a":{"a":1}}}');
  });

  it('percent-encode ids in paths and queries, and write every other leaf as it is', () => {
    const weird: Resolver = { ...resolver, id: () => 'a/b c' };
    expect(renderText(ref('mid', 0), weird)).toBe('a%2Fb%20c');
    expect(renderText('%E0%A4%A', weird)).toBe('%E0%A4%A');
    expect(renderText(rep('%41', 2), weird)).toBe('%41%41');
  });
});

describe('the world resolves refs by index', () => {
  it('the same ref gives the same id within a case; negative counts from the newest; empty pools give fresh ids', () => {
    const w = new World('t');
    const r1 = w.resolver();
    const fresh = r1.id('tid', 0);
    expect(fresh).toMatch(/^fz-t-\d+$/);
    expect(r1.id('tid', 0)).toBe(fresh);
    w.addThread('a', { owner: 'u', opens: false });
    w.addThread('b', { owner: 'u', opens: true });
    const r2 = w.resolver();
    expect([r2.id('tid', 0), r2.id('tid', 1), r2.id('tid', 2), r2.id('tid', -1), r2.id('tid', -2)]).toEqual([
      'a',
      'b',
      'a',
      'b',
      'a',
    ]);
    expect(r2.id('uid', 0)).toBe('fz-u0');
  });
});

describe('mutations', () => {
  it('replace, remove or add one field of a copy, at any depth', () => {
    const v = { a: 1, b: { c: [1, 2] } };
    expect(mutate(v, [{ pick: 0, action: 'replace', value: 'x' }])).toEqual({ a: 'x', b: { c: [1, 2] } });
    expect(mutate(v, [{ pick: 3, action: 'remove', value: null }])).toEqual({ a: 1, b: { c: [2] } });
    // `add` puts a sibling beside the picked field.
    expect(mutate(v, [{ pick: 1, action: 'add', value: true }])).toEqual({ a: 1, b: { c: [1, 2] }, x1: true });
    expect(mutate(v, [{ pick: 2, action: 'add', value: 0 }])).toEqual({ a: 1, b: { c: [1, 2], x2: 0 } });
    expect(mutate(7, [{ pick: 0, action: 'replace', value: [] }])).toEqual([]);
    expect(v).toEqual({ a: 1, b: { c: [1, 2] } });
  });
});

describe('nesting depth', () => {
  it('counts containers, not brackets inside strings', () => {
    expect(nestingDepth('{"a":[[1]],"b":"[[[[\\"]]"}')).toBe(3);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), (n) => nestingDepth(`${'['.repeat(n)}${']'.repeat(n)}`) === n),
    );
  });
});

describe('mutations never share what they insert', () => {
  it('inserting a generated constant into itself nests a copy (without the copy: a cycle)', () => {
    const shared = { k: 0 };
    const v = mutate({ a: 1 }, [
      { pick: 0, action: 'replace', value: shared },
      { pick: 1, action: 'add', value: shared },
    ]);
    expect(JSON.stringify(v)).toBe('{"a":{"k":0,"x1":{"k":0}}}');
    expect(shared).toEqual({ k: 0 });
  });
});
