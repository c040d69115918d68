import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoInstant, isoInstantByDate } from '../../../schema/search-documents.js';

// isoInstant gives back a text already in toISOString's form without going through Date (issue
// 15: the search worker made a Date and its ISO text for every message it created). It must answer
// exactly as Date does: the same text, a day past its month's end moved to the next month, hour
// 24 to the next day, and a RangeError for what Date.parse refuses.
const answer = (f: (s: string) => string, s: string): string => {
  try {
    return f(s);
  } catch (e) {
    return `throws ${e instanceof Error ? e.name : String(e)}`;
  }
};
const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
// Fields in and just out of range; years around leap-year rules and the ends of the range.
const canonicalish = fc
  .tuple(
    fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(1900, 2000, 2024, 2100, 2400, 1970, 9999, 0)),
    two(13),
    two(32),
    two(25),
    two(61),
    two(61),
    fc.integer({ min: 0, max: 999 }),
  )
  .map(
    ([y, mo, d, h, mi, s, ms]) =>
      `${String(y).padStart(4, '0')}-${mo}-${d}T${h}:${mi}:${s}.${String(ms).padStart(3, '0')}Z`,
  );
const anyInstant = fc.integer({ min: -8.64e15, max: 8.64e15 }).map((ms) => new Date(ms).toISOString());
const otherForms = fc.constantFrom(
  '2026-12-07T13:18:23Z',
  '2026-12-07T13:18:23.1Z',
  '2026-12-07T13:18:23.115+02:00',
  '2026-12-07T13:18:23.115',
  '2026-12-07',
  ' 2026-12-07T13:18:23.115Z',
  '2026-12-07T13:18:23.115Z ',
  '2026-02-29T00:00:00.000Z',
  '2024-02-29T00:00:00.000Z',
  '2026-04-31T00:00:00.000Z',
  '2026-01-01T24:00:00.000Z',
  '2026-01-01T23:60:00.000Z',
  '2026-01-01T23:59:60.000Z',
  '2026-00-01T00:00:00.000Z',
  '2026-01-00T00:00:00.000Z',
  '+002026-12-07T13:18:23.115Z',
  '２026-12-07T13:18:23.115Z',
  'not a date',
  '',
);

describe('isoInstant: the text as it is when in form, as Date gives it otherwise', () => {
  it('on texts in the canonical shape with fields in and out of range', () => {
    fc.assert(
      fc.property(canonicalish, (s) => {
        expect(answer(isoInstant, s)).toEqual(answer(isoInstantByDate, s));
      }),
      { numRuns: 20_000 },
    );
  });
  it('on every instant toISOString writes, and on other forms Date.parse reads or refuses', () => {
    fc.assert(
      fc.property(fc.oneof(anyInstant, otherForms), (s) => {
        expect(answer(isoInstant, s)).toEqual(answer(isoInstantByDate, s));
      }),
      { numRuns: 5000 },
    );
  });
  it('answers a few texts literally', () => {
    expect(isoInstant('2026-12-07T13:18:23.115Z')).toBe('2026-12-07T13:18:23.115Z');
    expect(isoInstant('2026-02-30T00:00:00.000Z')).toBe('2026-03-02T00:00:00.000Z');
    expect(isoInstant('2026-12-07T15:18:23.115+02:00')).toBe('2026-12-07T13:18:23.115Z');
    expect(() => isoInstant('2026-13-01T00:00:00.000Z')).toThrow(RangeError);
  });
});
