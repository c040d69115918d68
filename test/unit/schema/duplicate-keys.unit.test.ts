import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { duplicateKey } from '../../../schema/duplicate-keys.js';

const check = (text: string): string | undefined => duplicateKey(text, JSON.parse(text) as unknown);

describe('a key given twice in one object of a JSON body', () => {
  it('names the key by its path, at any depth', () => {
    expect(check('{"uid":"alice","msg":"x","uid":"bob"}')).toBe('uid');
    expect(check('{"msg":"x","opts":{"ttl":1,"ttl":2}}')).toBe('opts.ttl');
    expect(check('{"uids":["a"],"x":[{"b":1},{"b":2,"c":[{"d":1,"d":1}]}]}')).toBe('x.1.c.0.d');
    expect(check('{"__proto__":1,"__proto__":2}')).toBe('__proto__');
  });

  it('compares keys as JSON reads them, escapes decoded', () => {
    expect(check('{"\\u0061":1,"a":2}')).toBe('a');
    expect(check('{"a\\"b":1,"a\\"b":2}')).toBe('a"b');
  });

  it('finds none where there is none', () => {
    expect(check('{"a":"x:y:z","b":"\\":"}')).toBeUndefined();
    expect(check('[{"a":1},{"a":1}]')).toBeUndefined();
    expect(check('{"a":{"a":{"a":1}}}')).toBeUndefined();
    expect(check(' { "a" : 1 , "b" : [ 1 , 2 , { } ] } ')).toBeUndefined();
    for (const text of ['"x:y"', '1', 'null', 'true', '[]', '{}']) expect(check(text)).toBeUndefined();
  });

  // The oracle: objects written member by member (keys repeating at random, some written with a
  // \u escape, spaces anywhere JSON allows), and the first repeat found by walking what was written.
  type Node =
    | { kind: 'leaf'; json: string }
    | { kind: 'array'; items: Node[] }
    | { kind: 'object'; members: [string, Node][] };
  const key = fc.constantFrom('a', 'b', 'c', 'uid', 'x:y', 'q"', '__proto__');
  const leaf = fc
    .constantFrom('1', '-2.5e3', 'true', 'null', '"s"', '"a:b"', '"\\"}"')
    .map((json): Node => ({ kind: 'leaf', json }));
  const { node } = fc.letrec<{ node: Node }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.array(tie('node'), { maxLength: 3 }).map((items): Node => ({ kind: 'array', items })),
      fc.array(fc.tuple(key, tie('node')), { maxLength: 4 }).map((members): Node => ({ kind: 'object', members })),
    ),
  }));
  const write = (n: Node, sp: () => string, escape: () => boolean): string => {
    if (n.kind === 'leaf') return n.json;
    if (n.kind === 'array') return `[${n.items.map((i) => `${sp()}${write(i, sp, escape)}${sp()}`).join(',')}]`;
    const k = (s: string): string =>
      escape()
        ? `"\\u${s.charCodeAt(0).toString(16).padStart(4, '0')}${JSON.stringify(s).slice(2)}`
        : JSON.stringify(s);
    return `{${n.members.map(([name, v]) => `${sp()}${k(name)}${sp()}:${sp()}${write(v, sp, escape)}`).join(',')}${sp()}}`;
  };
  const firstRepeat = (n: Node, path: string): string | undefined => {
    const at = (p: string | number): string => (path === '' ? String(p) : `${path}.${p}`);
    if (n.kind === 'array') {
      for (const [i, item] of n.items.entries()) {
        const found = firstRepeat(item, at(i));
        if (found !== undefined) return found;
      }
    }
    if (n.kind === 'object') {
      const seen = new Set<string>();
      for (const [name, v] of n.members) {
        if (seen.has(name)) return at(name);
        seen.add(name);
        const found = firstRepeat(v, at(name));
        if (found !== undefined) return found;
      }
    }
    return undefined;
  };

  it('agrees with a walk of what was written, for random bodies', () => {
    fc.assert(
      fc.property(node, fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }), (n, bits) => {
        let b = 0;
        const next = (): boolean => bits[b++ % bits.length] ?? false;
        const text = write(n, () => (next() ? ' \n' : ''), next);
        expect(check(text)).toBe(firstRepeat(n, ''));
      }),
      { numRuns: 2000 },
    );
  });
});
