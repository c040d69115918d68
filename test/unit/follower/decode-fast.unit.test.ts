import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeOne } from '../../../follower/decode.js';
import { DomainEvent } from '../../../schema/events.js';
import { EventMetadata } from '../../../schema/metadata.js';
import { arbitraryOf } from '../../contract/arbitraries.js';
import { paths, setAt } from './mutations.js';

// The follower answers the delivery events read most (MessageTriaged, the batched claims,
// skips and outcomes) with their codec's guard when it accepts them, instead of a full decode
// (follower/decode.ts IDENTITY): the answer must be the decode's, for values the codec
// accepts and for values one field away from them (a wrong type, -0, a bad date, an id out of
// pattern, an unknown literal, a missing field), as parsed from the log's JSON.
const FAST = ['MessageTriaged', 'DeliveriesClaimed', 'DeliveriesSent', 'DeliveriesSkipped'];
const metadata = {
  eventId: 'e-1',
  occurredAt: '2030-01-01T00:00:00.000Z',
  actor: { uid: 'svc', roles: [] },
  correlationId: 'c',
  causationId: 'c',
};
const BAD: readonly unknown[] = [
  -0,
  1.5,
  -1,
  '',
  'x/y',
  '2030-13-45T99:99:99Z',
  '+275760-09-13T00:00:00.000Z',
  null,
  true,
  {},
  [],
  'nope',
];

describe('the fast decode of the delivery events read most', () => {
  for (const codec of DomainEvent.types.filter((c) => FAST.includes(c.name)))
    it(`answers ${codec.name} exactly as the codec's decode`, () => {
      let changed = 0;
      fc.assert(
        fc.property(arbitraryOf(codec), fc.nat(), fc.nat(BAD.length), (valid, pick, bad) => {
          const all = paths(valid);
          const path = all[pick % all.length] ?? [];
          for (const candidate of [valid, setAt(valid, path, BAD[bad], bad === BAD.length)]) {
            // As a log gives it: parsed JSON (no holes in arrays, no undefined fields).
            const json = JSON.parse(JSON.stringify(candidate ?? null)) as unknown;
            const data = json !== null && typeof json === 'object' ? (json as { data?: unknown }).data : json;
            const fast = decodeOne({ stream: 's', revision: 0, position: 1, type: codec.name, data, metadata });
            const slow = codec.decode({ type: codec.name, data });
            expect(typeof fast === 'string').toBe(slow._tag === 'Left');
            if (typeof fast !== 'string' && slow._tag === 'Right') expect(fast.event).toEqual(slow.right);
            if (slow._tag === 'Left') changed += 1;
          }
        }),
        { numRuns: 300, seed: 15 },
      );
      expect(changed).toBeGreaterThan(30); // the mutations do make invalid events
    });
});

// Every event's metadata is checked with the codec's `is` first (follower/decode.ts metadataOf):
// the follower must answer as EventMetadata.decode does, and hand over what it gives back.
describe('the fast check of event metadata', () => {
  it('answers as the codec decode for metadata and for values one field away from it', () => {
    let changed = 0;
    const event = { type: 'UserRecognized', data: { uid: 'u-1', via: 'token' } };
    fc.assert(
      fc.property(
        arbitraryOf(EventMetadata, { 'SHA-256 hex digest': fc.stringMatching(/^[0-9a-f]{64}$/) }),
        fc.nat(),
        fc.nat(BAD.length),
        (valid, pick, bad) => {
          const all = paths(valid);
          const path = all[pick % all.length] ?? [];
          for (const candidate of [valid, setAt(valid, path, BAD[bad], bad === BAD.length)]) {
            const json = JSON.parse(JSON.stringify(candidate ?? null)) as unknown;
            const fast = decodeOne({ stream: 's', revision: 0, position: 1, ...event, metadata: json as never });
            const slow = EventMetadata.decode(json);
            expect(typeof fast === 'string').toBe(slow._tag === 'Left');
            if (typeof fast !== 'string' && slow._tag === 'Right') expect(fast.metadata).toEqual(slow.right);
            if (slow._tag === 'Left') {
              changed += 1;
              expect(fast).toMatch(/^metadata: /);
            }
          }
        },
      ),
      { numRuns: 400, seed: 15 },
    );
    expect(changed).toBeGreaterThan(40); // the mutations do make invalid metadata
  });
});
