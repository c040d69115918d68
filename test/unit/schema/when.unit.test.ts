import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { When, dayIsInMonth } from '../../../schema/bounds.js';

// `scheduled` as an instant (schema/http.ts): a day its month does not have was parsed by
// Date.parse as a day of the next month (2027-02-30 was scheduled for March 2).
describe('the input date codec (When)', () => {
  it('refuses a day its month does not have', () => {
    for (const s of ['2027-02-29T09:00:00Z', '2027-02-30T09:00:00Z', '2027-04-31T09:00:00Z', '2100-02-29T00:00:00Z'])
      expect(E.isLeft(When.decode(s)), s).toBe(true);
  });

  it('keeps every day that exists, leap days and month ends included', () => {
    const ok = (s: string): string => {
      const d = When.decode(s);
      if (E.isLeft(d)) throw new Error(`refused ${s}`);
      return d.right.toISOString();
    };
    expect(ok('2028-02-29T09:00:00Z')).toBe('2028-02-29T09:00:00.000Z');
    expect(ok('2000-02-29T00:00:00+01:00')).toBe('2000-02-28T23:00:00.000Z');
    expect(ok('2027-12-31T23:59:59Z')).toBe('2027-12-31T23:59:59.000Z');
    expect(ok('2027-04-30T00:00:00Z')).toBe('2027-04-30T00:00:00.000Z');
    expect(E.isRight(When.decode(Date.UTC(2027, 1, 28)))).toBe(true);
  });

  it('checks days month by month', () => {
    const days = (y: number, m: number): number => {
      let d = 28;
      while (dayIsInMonth(`${String(y)}-${String(m).padStart(2, '0')}-${String(d + 1).padStart(2, '0')}`)) d += 1;
      return d;
    };
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((m) => days(2027, m))).toEqual([
      31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
    ]);
    expect([2024, 2000, 1900, 2100].map((y) => days(y, 2))).toEqual([29, 29, 28, 28]);
  });
});
