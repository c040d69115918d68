import * as t from 'io-ts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../../../adapters/eventstore/memory.js';
import { DomainEvent } from '../../../schema/events.js';
import { arbitraryOf } from '../../contract/arbitraries.js';
import { EVENT_TYPES, roundTripContract } from '../../contract/roundtrip.contract.js';

// The in-memory log; SQLite and JetStream run the same contract in test/integration/.
roundTripContract(
  'memory',
  () => {
    const store = createMemoryEventStore();
    return Promise.resolve({ store, cleanup: () => store.close() });
  },
  { numRuns: 60 },
);

describe('event arbitraries', () => {
  it('exist for every event type, and generate only values their codec accepts', () => {
    expect(EVENT_TYPES.length).toBeGreaterThanOrEqual(23);
    for (const codec of DomainEvent.types) {
      const refused = fc
        .sample(arbitraryOf(codec), { numRuns: 50, seed: 9 })
        .filter((v) => codec.decode(v)._tag === 'Left');
      expect(refused, codec.name).toEqual([]);
    }
  });

  it('refuse a codec they cannot generate, naming it, so a new kind of field cannot go untested', () => {
    const NewEvent = t.type({
      type: t.literal('SomethingNew'),
      data: t.type({ code: t.refinement(t.string, (s) => /^[A-Z]{3}$/.test(s), 'CountryCode') }),
    });
    expect(() => arbitraryOf(NewEvent)).toThrow(/CountryCode/);
  });
});
