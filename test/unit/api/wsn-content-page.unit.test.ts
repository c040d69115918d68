import { describe, expect, it } from 'vitest';
import { fromWsnFrame } from '../../../api/ws/wsn.js';

// webservice-notification's `content {page}` (seed 003): a page number, as an integer or its
// digits in a string, as the seed's Python read it with int(). Nothing else is read as a page
// (Number() made true page 1, and null, [], "" and " " page 0).
const page = (data: unknown): unknown => {
  const w = fromWsnFrame({ name: 'content', data }, () => '');
  return w.kind === 'frame' ? w.frame['limit'] : w.msg;
};

describe('content {page}', () => {
  it('reads an integer 0..9, or its digits in a string', () => {
    expect(page({ page: 0 })).toBe(20);
    expect(page({ page: 2 })).toBe(60);
    expect(page({ page: '3' })).toBe(80);
    expect(page(4)).toBe(100);
    expect(page({ page: ' 9 ' })).toBe(200);
  });
  it('refuses anything else, naming page', () => {
    for (const p of [true, false, null, [], [1], '', ' ', '0x1', '1e0', 1.5, -1, 10, {}, undefined])
      expect(page({ page: p }), JSON.stringify(p)).toEqual(expect.stringContaining('page must be an integer 0..9'));
  });
});
