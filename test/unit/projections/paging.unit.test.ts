import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clampLimit, decodeCursor, encodeCursor, newestFirst, upperBound } from '../../../projections/paging.js';

describe('page cursors', () => {
  it('round-trip any (effective time, mid)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -8.64e15, max: 8.64e15 }),
        fc.stringMatching(/^[A-Za-z0-9._:@+=-]{1,128}$/),
        (eff, mid) => {
          expect(decodeCursor(encodeCursor({ eff, mid }))).toEqual({ eff, mid });
        },
      ),
    );
  });

  it('refuse what they did not produce', () => {
    for (const bad of ['', '%%%', Buffer.from('12').toString('base64url'), Buffer.from('x:m').toString('base64url')]) {
      expect(decodeCursor(bad)).toBeUndefined();
    }
  });

  it('never reach past "due now", so scheduled messages stay hidden on every page', () => {
    const now = new Date(1_000_000);
    expect(upperBound(undefined, now)).toEqual({ eff: 1_000_001, mid: '' });
    expect(upperBound(encodeCursor({ eff: 5, mid: 'm' }), now)).toEqual({ eff: 5, mid: 'm' });
    expect(upperBound(encodeCursor({ eff: 2_000_000, mid: 'm' }), now)).toEqual({ eff: 1_000_001, mid: '' });
    expect(upperBound('%%%', now)).toBeUndefined();
  });
});

describe('limits and order', () => {
  it('clamps limits to 1..200', () => {
    expect([clampLimit(0), clampLimit(-5), clampLimit(7.9), clampLimit(1e9), clampLimit(Number.NaN)]).toEqual([
      1, 1, 7, 200, 200,
    ]);
  });

  it('orders newest first by time, then by mid', () => {
    const items = [
      { eff: 1, mid: 'b' },
      { eff: 2, mid: 'a' },
      { eff: 1, mid: 'c' },
    ];
    expect([...items].sort(newestFirst)).toEqual([
      { eff: 2, mid: 'a' },
      { eff: 1, mid: 'c' },
      { eff: 1, mid: 'b' },
    ]);
  });
});
