import { describe, expect, it } from 'vitest';
import { appendAll } from '../../../domain/append-all.js';
import { toOps } from '../../../projections/search/batch.js';
import type { Plan } from '../../../projections/search/plan.js';

// A broadcast to 100,000 users gave the search projection batches of more funnel marks than a
// function call takes as spread arguments: `ops.push(...marks)` threw "Maximum call stack size
// exceeded" and the follower retried the batch forever (found by bench/triage.ts on the
// production stack with the projections running).
describe('batches as large as an audience', () => {
  const MARKS = 400_000;
  const plan: Plan = {
    erasures: [],
    creates: [],
    directTo: new Map(),
    statuses: [],
    receipts: [],
    marks: Array.from({ length: MARKS }, (_, i) => ({
      mid: `m${String(i % 3)}`,
      set: 'f:sent' as const,
      uid: `u${String(i)}`,
    })),
    lives: [],
    held: [],
  };
  const index = { messages: () => Promise.resolve(new Map()), deliveries: () => Promise.resolve(new Map()) };

  it('the search projection turns 400,000 marks into ops, and their recounts', async () => {
    const ops = await toOps(plan, index);
    expect(ops.filter((o) => o.kind === 'addToSet')).toHaveLength(MARKS);
    expect(ops.filter((o) => o.kind === 'recount').map((o) => ('mid' in o ? o.mid : ''))).toEqual(['m0', 'm1', 'm2']);
  });

  it('appendAll takes any number of items, in order', () => {
    const into = [-1];
    appendAll(
      into,
      Array.from({ length: 1_000_000 }, (_, i) => i),
    );
    expect(into).toHaveLength(1_000_001);
    expect(into[1_000_000]).toBe(999_999);
    expect(() => {
      const spread: number[] = [];
      spread.push(...Array.from({ length: 1_000_000 }, (_, i) => i));
    }).toThrow(RangeError);
  });
});
