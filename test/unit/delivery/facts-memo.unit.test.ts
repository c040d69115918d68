import { describe, expect, it } from 'vitest';
import { FactsMemo } from '../../../delivery/facts-memo.js';
import type { RecipientFacts } from '../../../domain/triage/types.js';

// The memo of a thread page's facts (delivery/facts-memo.ts): a page is given back only under the
// stamp it was read under, and the memo stays within its bound.
const facts = (...uids: string[]): { items: RecipientFacts[] } => ({
  items: uids.map((uid) => ({ uid, online: true, devices: [], hasEmail: false, hasCell: false, channels: [] })),
});

describe('the facts memo', () => {
  it('answers a page only under the stamp it was read under', () => {
    const memo = new FactsMemo();
    const page = { ...facts('a', 'b'), next: 'b' };
    memo.remember('t/a', '1/1/1', page);
    expect(memo.get('t/a', '1/1/1')).toBe(page);
    expect(memo.get('t/a', '1/1/2')).toBeUndefined();
    expect(memo.get('t/b', '1/1/1')).toBeUndefined();
    const newer = facts('a');
    memo.remember('t/a', '1/1/2', newer);
    expect(memo.get('t/a', '1/1/1')).toBeUndefined();
    expect(memo.get('t/a', '1/1/2')).toBe(newer);
  });

  it('starts over past its limit of recipients', () => {
    const memo = new FactsMemo(3);
    memo.remember('p1', 's', facts('a', 'b'));
    memo.remember('p1', 's', facts('a', 'b'));
    expect(memo.get('p1', 's')?.items).toHaveLength(2);
    memo.remember('p2', 's', facts('c', 'd'));
    expect(memo.get('p1', 's')).toBeUndefined();
    expect(memo.get('p2', 's')?.items).toHaveLength(2);
  });
});
