import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entryKeys, isBatchDelivery } from '../../../domain/delivery/batches.js';
import { touched } from '../../../delivery/writer.js';
import { TRIAGE_EVENTS, TriageEvent } from '../../../schema/triage-events.js';
import { arbitraryOf } from '../../contract/arbitraries.js';

// When a group stream moved under a dispatch write, the writer drops the units the events since
// touched (delivery/writer.ts `touched`). It answers a batched event its type's guard accepts
// without io-ts's decode: the keys must be the ones the decode-based answer (the earlier code,
// kept here) gives, for every triage event type, valid or with a field removed or changed.
const reference = (type: string, data: unknown): string[] => {
  const decoded = TriageEvent.decode({ type, data });
  if (decoded._tag === 'Left') return [];
  const e = decoded.right;
  if (isBatchDelivery(e)) return entryKeys(e);
  return e.type === 'MessageDue' || e.type === 'MessageTriaged' ? [] : [e.data.key];
};

const changes = (data: unknown): unknown[] => {
  if (data === null || typeof data !== 'object') return [data];
  const out: unknown[] = [];
  for (const k of Object.keys(data)) {
    const removed = { ...(data as Record<string, unknown>) };
    Reflect.deleteProperty(removed, k);
    out.push(removed, { ...(data as Record<string, unknown>), [k]: 'x/y' });
  }
  return out;
};

describe("the units an event in a group stream touched (a dispatch write's rebase)", () => {
  for (const codec of TRIAGE_EVENTS)
    it(`are those the decode gives, for ${codec.name}`, () => {
      let keys = 0;
      fc.assert(
        fc.property(arbitraryOf(codec), (valid) => {
          const { type, data } = valid as { type: string; data: unknown };
          for (const d of [data, JSON.parse(JSON.stringify(data)) as unknown, ...changes(data)]) {
            const got = touched(type, d);
            expect(got).toEqual(reference(type, d));
            keys += got.length;
          }
        }),
        { numRuns: 100, seed: 13 },
      );
      // The events that name units were answered with their keys, not all with none.
      if (codec.name !== 'MessageDue' && codec.name !== 'MessageTriaged') expect(keys).toBeGreaterThan(50);
    });
});
