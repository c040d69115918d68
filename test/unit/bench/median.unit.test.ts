import { describe, expect, it } from 'vitest';
import { median } from '../../../bench/median.js';

describe('bench median', () => {
  it('is the middle value of an odd count and the mean of the two middle values of an even one', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([10, 0])).toBe(5);
    expect(median([7])).toBe(7);
  });
  it('does not reorder its input and is NaN for none', () => {
    const xs = [3, 1, 2];
    median(xs);
    expect(xs).toEqual([3, 1, 2]);
    expect(median([])).toBeNaN();
  });
});
