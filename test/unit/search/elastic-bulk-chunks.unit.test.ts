import { describe, expect, it } from 'vitest';
import { bulkChunks } from '../../../adapters/search/elastic-bulk-chunks.js';

// A batch's _bulk lines in requests the server accepts: cut only between actions, in order,
// each within the budget unless one action alone is heavier.
describe('bulk requests cut to size', () => {
  const index = (i: number): object[] => [
    { index: { _index: 'r', _id: `m/${String(i)}` } },
    { mid: 'm', uid: `u${String(i)}` },
  ];
  const del = (i: number): object[] => [{ delete: { _index: 'u', _id: `u${String(i)}` } }];
  const list = (n: number): object[] => [
    { index: { _index: 'r', _id: 'root' } },
    { mid: 'root', uids: Array.from({ length: n }, (_, k) => `u${String(k)}`) },
  ];

  it('keeps every line, in order, and never parts an action from its document', () => {
    const lines = [...index(0), ...del(1), ...index(2), ...list(50), ...del(3), ...index(4)];
    const chunks = bulkChunks(lines, 4);
    expect(chunks.flat()).toEqual(lines);
    for (const c of chunks) {
      const first = c[0] ?? {};
      expect(['index', 'delete', 'update', 'create'].some((k) => k in first)).toBe(true);
    }
    // 2 + 1 | 2 | list (2 + 50/20) alone | 1 + 2
    expect(chunks.map((c) => c.length)).toEqual([3, 2, 2, 3]);
  });

  it("400,000 set members, a broadcast batch's, go in requests of 5,000 actions", () => {
    const lines = Array.from({ length: 400_000 }, (_, i) => index(i)).flat();
    const chunks = bulkChunks(lines);
    expect(chunks).toHaveLength(80);
    expect(chunks.every((c) => c.length === 10_000)).toBe(true);
    expect(chunks.flat()).toHaveLength(800_000);
  });

  it('a list heavier than the budget goes alone', () => {
    const chunks = bulkChunks([...index(0), ...list(1_000_000), ...index(1)]);
    expect(chunks.map((c) => c.length)).toEqual([2, 2, 2]);
  });

  it('nothing to send is no request', () => {
    expect(bulkChunks([])).toEqual([]);
  });
});
