import fc from 'fast-check';
import { TIME_MAX_MS, TIME_MIN_MS } from '../../schema/bounds.js';
import { SEGMENT_LIMITS } from '../../schema/segment-query.js';
import { DIRECTORY_LIMITS, REACHABLE_CHANNELS } from '../../schema/user-directory.js';

// Segment queries (schema/segment-query.ts) as stored in SegmentDefined: every node form, nested
// within the language's depth, values at their edges (the longest indexed string, the most `in`
// values, the instants at 1970 and 9999). Instants are canonical, as the decoder stores them;
// no -0, which JSON cannot carry. At most 5 levels of at most 2 children: within the limits (8 deep, 100 nodes).
const number = fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0));
const scalar = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constant('v'.repeat(DIRECTORY_LIMITS.value)),
  fc.boolean(),
  number,
);
const instant = fc
  .oneof(fc.constantFrom(TIME_MIN_MS, TIME_MAX_MS), fc.integer({ min: TIME_MIN_MS, max: TIME_MAX_MS }))
  .map((ms) => new Date(ms).toISOString());
const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/);

const leaf = fc.oneof(
  fc.record({ tag: fc.string({ minLength: 1, maxLength: DIRECTORY_LIMITS.key }) }),
  fc.record({ channel: fc.constantFrom(...REACHABLE_CHANNELS) }),
  fc.record({ attribute: name, eq: scalar }),
  fc.record({
    attribute: name,
    in: fc.oneof(
      fc.array(scalar, { minLength: 1, maxLength: 4 }),
      fc.constant(Array.from({ length: SEGMENT_LIMITS.inValues }, (_, i) => i)),
    ),
  }),
  fc.record({ attribute: name, gt: number }),
  fc.record({ attribute: name, lt: number }),
  fc
    .record({ after: instant, before: instant }, { requiredKeys: [] })
    .filter((r) => Object.keys(r).length > 0)
    .map((lastSeen) => ({ lastSeen })),
);

export const segmentQuery: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', maxDepth: 4, withCrossShrink: true },
    leaf,
    fc.record({ all: fc.array(tie('node'), { maxLength: 2 }) }),
    fc.record({ any: fc.array(tie('node'), { maxLength: 2 }) }),
    fc.record({ not: tie('node') }),
  ),
})).node;
