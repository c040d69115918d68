import fc from 'fast-check';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { assignAll, assignVariant, bucketOf, forRecipient, variantName } from '../../../domain/variants.js';
import { MessageOpts } from '../../../schema/message.js';
import { Variants } from '../../../schema/variants.js';

const id = fc.stringMatching(/^[A-Za-z0-9._-]{1,40}$/);
const weights = fc.array(fc.integer({ min: 1, max: 10_000 }), { minLength: 2, maxLength: 8 });
const named = (ws: readonly number[]) =>
  ws.map((weight, i) => ({ name: `v${String(i)}`, msg: `text ${String(i)}`, weight }));

describe('variant assignment (domain/variants.ts)', () => {
  it('is stable: the same (mid, uid, variants) always gives the same variant, in a fresh call too', () => {
    fc.assert(
      fc.property(id, id, weights, (mid, uid, ws) => {
        const vs = named(ws);
        const a = assignVariant(vs, mid, uid);
        expect(
          assignVariant(
            vs.map((v) => ({ ...v })),
            mid,
            uid,
          ).name,
        ).toBe(a.name);
        expect(variantName({ variants: vs }, mid, uid)).toBe(a.name);
      }),
    );
  });

  it('is a point in [0, 1) and differs between pairs that concatenate alike', () => {
    fc.assert(
      fc.property(id, id, (mid, uid) => {
        const b = bucketOf(mid, uid);
        expect(b).toBeGreaterThanOrEqual(0);
        expect(b).toBeLessThan(1);
      }),
    );
    expect(bucketOf('ab', 'c')).not.toBe(bucketOf('a', 'bc'));
  });

  it('splits recipients by weight: each share within 3 points of its weight over 20,000 users', () => {
    fc.assert(
      fc.property(id, fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 2, maxLength: 4 }), (mid, ws) => {
        const vs = named(ws);
        const n = 20_000;
        const counts = new Map<string, number>();
        for (let i = 0; i < n; i += 1) {
          const v = assignVariant(vs, mid, `user-${String(i)}`).name;
          counts.set(v, (counts.get(v) ?? 0) + 1);
        }
        const total = ws.reduce((a, b) => a + b, 0);
        for (const v of vs) expect(Math.abs((counts.get(v.name) ?? 0) / n - v.weight / total)).toBeLessThan(0.03);
      }),
      { numRuns: 20 },
    );
  });

  it('a 50/50 split of 10,000 users is within 2% of even and mixes both variants', () => {
    const split = assignAll(
      { variants: named([50, 50]) },
      'm-1',
      Array.from({ length: 10_000 }, (_, i) => `u${String(i)}`),
    );
    expect(Object.keys(split).sort()).toEqual(['v0', 'v1']);
    expect(Math.abs((split.v0?.length ?? 0) - 5_000)).toBeLessThan(200);
  });

  it('groups recipients under names an object inherits (constructor) like any other', () => {
    const opts = {
      variants: [
        { name: 'constructor', msg: 'A', weight: 1 },
        { name: 'tostring', msg: 'B', weight: 1 },
      ],
    };
    expect(Variants.is(opts.variants)).toBe(true);
    const uids = Array.from({ length: 50 }, (_, i) => `u${String(i)}`);
    const split = assignAll(opts, 'm', uids);
    expect(Object.keys(split).sort()).toEqual(['constructor', 'tostring']);
    expect(Object.values(split).flat().sort()).toEqual([...uids].sort());
    for (const [name, list] of Object.entries(split))
      for (const uid of list) expect(variantName(opts, 'm', uid)).toBe(name);
  });

  it('gives the recipient their variant text and subject, and drops the others from opts', () => {
    const opts = {
      urgency: 4,
      variants: [
        { name: 'a', msg: 'A!', weight: 1, subject: 'SA' },
        { name: 'b', msg: 'B!', weight: 1 },
      ],
    };
    for (const uid of ['u1', 'u2', 'u3', 'u4', 'u5', 'u6']) {
      const p = forRecipient({ msg: 'base', opts, subject: 'S' }, 'm', uid);
      const name = variantName(opts, 'm', uid);
      expect(p.msg).toBe(name === 'a' ? 'A!' : 'B!');
      expect(p.subject).toBe(name === 'a' ? 'SA' : 'S');
      expect(p.opts).toEqual({ urgency: 4 });
    }
    const plain = { msg: 'x', opts: { urgency: 3 } };
    expect(forRecipient(plain, 'm', 'u')).toBe(plain);
    expect(assignAll({}, 'm', ['u'])).toEqual({});
  });

  it('the codec refuses bad variants, naming what it expected', () => {
    const bad = [
      [{ name: 'a', msg: 'x', weight: 1 }],
      [
        { name: 'a', msg: 'x', weight: 1 },
        { name: 'a', msg: 'y', weight: 1 },
      ],
      [
        { name: 'a', msg: 'x', weight: 0 },
        { name: 'b', msg: 'y', weight: 1 },
      ],
      [
        { name: 'a', msg: 'x', weight: 1.5 },
        { name: 'b', msg: 'y', weight: 1 },
      ],
      [
        { name: 'A B', msg: 'x', weight: 1 },
        { name: 'b', msg: 'y', weight: 1 },
      ],
      [
        { name: 'a', msg: '', weight: 1 },
        { name: 'b', msg: 'y', weight: 1 },
      ],
      [
        { name: 'a', msg: 'x'.repeat(4_097), weight: 1 },
        { name: 'b', msg: 'y', weight: 1 },
      ],
      named([1, 1, 1, 1, 1, 1, 1, 1, 1]),
    ];
    for (const b of bad) {
      expect(isLeft(Variants.decode(b))).toBe(true);
      expect(isLeft(MessageOpts.decode({ variants: b }))).toBe(true);
    }
    expect(isRight(MessageOpts.decode({ variants: named([1, 2]) }))).toBe(true);
  });
});
