import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { messageToRow } from '../../../adapters/search/embedded-rows.js';
import { zeroCounts, zeroFunnel } from '../../../schema/search-documents.js';
import type { MessageDoc } from '../../../schema/search-documents.js';

// messageToRow writes a created message's zero counts and funnel as texts made once (issue 15: the
// search worker stringified the same zeros for every message). Whatever the document, its row's
// texts must be what JSON.stringify writes: other numbers, -0, keys in another order, keys missing
// or added, nested values that are not numbers.
const doc = (counts: unknown, funnel: unknown, channels: string[]): MessageDoc =>
  ({
    mid: 'm1',
    tid: null,
    from: 'ann',
    audience: 'user',
    recipients: 1,
    text: 'hello',
    urgency: 3,
    at: '2026-12-07T13:18:23.115Z',
    scheduled: null,
    status: 'published',
    counts,
    funnel,
    channels,
  }) as MessageDoc;

/** A value like `template`, now and then changed: a number, -0, a key dropped, added or moved. */
const like = (template: unknown): fc.Arbitrary<unknown> => {
  if (typeof template !== 'object' || template === null)
    return fc.oneof(
      { weight: 6, arbitrary: fc.constant(template) },
      { weight: 1, arbitrary: fc.constantFrom(-0, 1, 2, 0.5, '0', null) },
    );
  const entries = Object.entries(template);
  return fc
    .tuple(
      fc.tuple(...entries.map(([k, v]) => like(v).map((x) => [k, x] as const))),
      fc.constantFrom('same', 'same', 'same', 'drop', 'add', 'move'),
    )
    .map(([es, change]) => {
      const out = [...es] as (readonly [string, unknown])[];
      if (change === 'drop') out.pop();
      if (change === 'add') out.push(['extra', 0]);
      if (change === 'move') out.push(out.shift() ?? ['extra', 0]);
      return Object.fromEntries(out);
    });
};

describe('messageToRow: JSON texts as JSON.stringify writes them', () => {
  it('on zeros and on values near them', () => {
    fc.assert(
      fc.property(
        like(zeroCounts()),
        like(zeroFunnel()),
        fc.array(fc.constantFrom('fcm', 'email'), { maxLength: 2 }),
        (counts, funnel, channels) => {
          const row = messageToRow(doc(counts, funnel, channels));
          expect([row.counts, row.funnel, row.channels]).toEqual([
            JSON.stringify(counts),
            JSON.stringify(funnel),
            JSON.stringify(channels),
          ]);
        },
      ),
      { numRuns: 3000 },
    );
  });
  it('of a created message (zeros) and of one with counts', () => {
    const zero = messageToRow(doc(zeroCounts(), zeroFunnel(), []));
    expect([zero.counts, zero.funnel, zero.channels]).toEqual([
      JSON.stringify(zeroCounts()),
      JSON.stringify(zeroFunnel()),
      '[]',
    ]);
    const funnel = { ...zeroFunnel(), addressed: 1 };
    expect(messageToRow(doc(zeroCounts(), funnel, ['fcm'])).funnel).toBe(JSON.stringify(funnel));
  });
});
