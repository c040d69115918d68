import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTimestamp } from '../../../schema/bounds.js';

// `isTimestamp` keeps its last two answers (a plan's steps alternate between a few times): in
// any order of asking, repeats and alternations included, each answer must be the one a fresh
// check gives.
const POOL = [
  '2030-01-01T00:00:00.000Z',
  '2030-01-01T00:10:00.000Z',
  '1970-01-01T00:00:00.000Z',
  '9999-12-31T23:59:59.999Z',
  '+275760-09-13T00:00:00.000Z',
  '2030-13-45T99:99:99Z',
  '2030-06-01T12:00Z',
  '1969-12-31T23:59:59.999Z',
  '',
  'nope',
];
const fresh = (s: string): boolean => {
  isTimestamp('flush-a');
  isTimestamp('flush-b');
  return isTimestamp(s);
};

describe('the timestamp check with its last answers kept', () => {
  it('answers every string as a fresh check does, whatever was asked before', () => {
    const want = new Map(POOL.map((s) => [s, fresh(s)]));
    expect([...want.values()].filter(Boolean).length).toBeGreaterThan(3);
    expect([...want.values()].filter((ok) => !ok).length).toBeGreaterThan(3);
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...POOL), { maxLength: 40 }), (asked) => {
        for (const s of asked) expect(isTimestamp(s)).toBe(want.get(s));
      }),
      { numRuns: 500, seed: 13 },
    );
  });
});
