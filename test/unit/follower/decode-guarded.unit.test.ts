import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeOne } from '../../../follower/decode.js';
import { MessagePublished } from '../../../schema/events.js';
import { EventMetadata } from '../../../schema/metadata.js';
import { arbitraryOf } from '../../contract/arbitraries.js';
import { paths, setAt } from './mutations.js';

// The follower answers MessagePublished and every event's metadata with their codec's guard
// when it accepts them, instead of a full decode (follower/decode.ts): the answer must be the
// decode's, for values the codec accepts and for values one field away from them (a wrong
// type, -0 in `opts`, a bad date, an id out of pattern, an unknown literal, a missing field),
// as parsed from the log's JSON.
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
  { a: -0 },
];

// As a log gives it: parsed JSON (no holes in arrays, no undefined fields); -0 kept where it was put.
const asParsed = (v: unknown): unknown =>
  JSON.parse(
    JSON.stringify(v ?? null, (_k, x: unknown) => (Object.is(x, -0) ? '__neg0__' : x)),
    (_k, x: unknown) => (x === '__neg0__' ? -0 : x),
  ) as unknown;
const mutations = (valid: unknown, pick: number, bad: number): unknown[] => {
  const all = paths(valid);
  const path = all[pick % all.length] ?? [];
  return [valid, setAt(valid, path, BAD[bad], bad === BAD.length)].map(asParsed);
};

describe('the guarded decode of messages and metadata', () => {
  const metadata = arbitraryOf(EventMetadata);

  it("answers MessagePublished exactly as the codec's decode", () => {
    let refused = 0;
    fc.assert(
      fc.property(arbitraryOf(MessagePublished), metadata, fc.nat(), fc.nat(BAD.length), (valid, meta, pick, bad) => {
        for (const candidate of mutations(valid, pick, bad)) {
          const data =
            candidate !== null && typeof candidate === 'object' ? (candidate as { data?: unknown }).data : candidate;
          const metadataJson = asParsed(meta) as EventMetadata;
          const fast = decodeOne({
            stream: 's',
            revision: 0,
            position: 1,
            type: 'MessagePublished',
            data,
            metadata: metadataJson,
          });
          const slow = MessagePublished.decode({ type: 'MessagePublished', data });
          expect(typeof fast === 'string').toBe(slow._tag === 'Left');
          if (typeof fast !== 'string' && slow._tag === 'Right') expect(fast.event).toStrictEqual(slow.right);
          if (slow._tag === 'Left') refused += 1;
        }
      }),
      { numRuns: 400, seed: 15 },
    );
    expect(refused).toBeGreaterThan(30); // the mutations do make invalid events
  });

  it("answers the metadata exactly as the codec's decode", () => {
    let refused = 0;
    fc.assert(
      fc.property(arbitraryOf(MessagePublished), metadata, fc.nat(), fc.nat(BAD.length), (event, valid, pick, bad) => {
        const data = (asParsed(event) as { data: unknown }).data;
        for (const meta of mutations(valid, pick, bad)) {
          const fast = decodeOne({
            stream: 's',
            revision: 0,
            position: 1,
            type: 'MessagePublished',
            data,
            metadata: meta as EventMetadata,
          });
          const slow = EventMetadata.decode(meta);
          expect(typeof fast === 'string').toBe(slow._tag === 'Left');
          if (typeof fast !== 'string' && slow._tag === 'Right') expect(fast.metadata).toStrictEqual(slow.right);
          if (slow._tag === 'Left') refused += 1;
        }
      }),
      { numRuns: 400, seed: 15 },
    );
    expect(refused).toBeGreaterThan(30);
  });
});
