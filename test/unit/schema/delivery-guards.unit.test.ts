import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DELIVERY_GUARDS } from '../../../schema/delivery-guards.js';
import { DomainEvent } from '../../../schema/events.js';
import { arbitraryOf } from '../../contract/arbitraries.js';

// The hand-written guards of the delivery events read most (schema/delivery-guards.ts) must
// accept exactly what their codecs' own guards (`is`) accept: for generated events, for events
// one or two changes away from them (a field set to a value of another kind or out of range,
// a literal of a neighbouring union, a field removed, an array entry removed or left as a
// hole, an extra field), and for values no log gives (undefined, holes, a Date, NaN).
const BAD: readonly unknown[] = [
  undefined,
  null,
  true,
  0,
  -0,
  1,
  4,
  5,
  1.5,
  -1,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.MAX_SAFE_INTEGER + 2,
  '',
  'x/y',
  'nope',
  'a'.repeat(129),
  '2030-13-45T99:99:99Z',
  '+275760-09-13T00:00:00.000Z',
  '2030-01-01T00:00:00.000Z',
  'email',
  'websocket',
  'seen',
  'offline',
  'quiet-hours',
  'expired',
  'retry',
  {},
  [],
  [{}],
  new Date(0),
  { reason: 'quiet-hours', from: '2030-01-01T00:00:00.000Z' },
  { providerId: 'p' },
  { reason: 'r', outcome: 'gone' },
  { afterMs: 5, at: '2030-01-01T00:00:00.000Z' },
  { attempts: 1, reason: 'r' },
];
type Change = 'set' | 'remove' | 'hole' | 'extra';
const CHANGES: readonly Change[] = ['set', 'remove', 'hole', 'extra'];

/** Every path to a value inside `v` (objects and arrays), the empty path included. */
const paths = (v: unknown, at: (string | number)[] = []): (string | number)[][] => {
  if (v === null || typeof v !== 'object') return [at];
  const kids = Array.isArray(v) ? v.map((x, i) => [i, x] as const) : Object.entries(v);
  return [at, ...kids.flatMap(([k, x]) => paths(x, [...at, k]))];
};

const changed = (v: unknown, path: readonly (string | number)[], change: Change, to: unknown): unknown => {
  const copy = structuredClone(v) as Record<string | number, unknown>;
  let o = copy;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (last === undefined) return change === 'set' ? to : copy;
  if (change === 'set') o[last] = to;
  else if (change === 'extra') {
    const target = o[last];
    if (target !== null && typeof target === 'object' && !Array.isArray(target))
      (target as Record<string, unknown>)['extra'] = to;
    else o[last] = to;
  } else if (change === 'remove' && Array.isArray(o) && typeof last === 'number') o.splice(last, 1);
  else Reflect.deleteProperty(o, last); // a hole in an array, or a field removed
  return copy;
};

describe('the hand-written guards of the delivery events read most', () => {
  it('cover the four event types', () => {
    expect([...DELIVERY_GUARDS.keys()].sort()).toEqual([
      'DeliveriesClaimed',
      'DeliveriesSent',
      'DeliveriesSkipped',
      'MessageTriaged',
    ]);
  });

  for (const codec of DomainEvent.types.filter((c) => DELIVERY_GUARDS.has(c.name)))
    it(`accept and refuse exactly what ${codec.name}'s own guard does`, () => {
      const guard = DELIVERY_GUARDS.get(codec.name);
      if (guard === undefined) throw new Error(codec.name);
      const answers = { yes: 0, no: 0 };
      fc.assert(
        fc.property(
          arbitraryOf(codec),
          fc.array(fc.tuple(fc.nat(), fc.nat(CHANGES.length - 1), fc.nat(BAD.length - 1)), {
            minLength: 1,
            maxLength: 2,
          }),
          (valid, edits) => {
            const candidates: unknown[] = [valid, JSON.parse(JSON.stringify(valid)) as unknown];
            let v: unknown = valid;
            for (const [pick, change, bad] of edits) {
              const all = paths(v);
              v = changed(v, all[pick % all.length] ?? [], CHANGES[change] ?? 'set', BAD[bad]);
              candidates.push(v);
            }
            for (const c of candidates) {
              const want = codec.is(c);
              expect(guard(c)).toBe(want);
              answers[want ? 'yes' : 'no'] += 1;
            }
          },
        ),
        { numRuns: 400, seed: 13 },
      );
      // Both answers were put to the test.
      expect(answers.yes).toBeGreaterThan(400);
      expect(answers.no).toBeGreaterThan(100);
    });

  it('answer as the codec for values that are not events at all', () => {
    for (const codec of DomainEvent.types.filter((c) => DELIVERY_GUARDS.has(c.name)))
      for (const u of [...BAD, { type: codec.name }, { type: codec.name, data: [] }, { type: 'Other', data: {} }])
        expect(DELIVERY_GUARDS.get(codec.name)?.(u)).toBe(codec.is(u));
  });
});
