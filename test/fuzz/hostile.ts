import fc from 'fast-check';
import { at, deep, raw, rep, type Value } from './leaves.js';

// Values an attacker sends instead of what a field expects: odd text, boundary numbers and
// dates, wrong types, deep and wide nesting, huge strings. Each is a case value (leaves.ts),
// so a huge or deep one stays a few characters in a printed counterexample.
const DAY = 86_400_000;

const oddText = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\uD800', // a lone surrogate: not valid UTF-16, written as U+FFFD by UTF-8 encoders
  '\uDFFF\uD800',
  '\u202Eevil',
  '\uFEFFbom',
  'e\u0301',
  '😀',
  '𝕏'.repeat(3),
  '\r\n\t',
  'null',
  'undefined',
  'NaN',
  '__proto__',
  'constructor',
  'toString',
  "' OR 1=1 --",
  "'); DROP TABLE inbox; --",
  '*',
  'a:b AND c:*',
  '\\',
  '"',
  '../../etc/passwd',
  '{{msg}}',
  '${process.exit()}',
  '<script>alert(1)</script>',
  '%s%n%x',
  '%E0%A4%A',
  'user-alice',
  'a'.repeat(129),
);

/** Strings: odd ones, random unicode (lone surrogates included), and huge ones of several shapes. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: oddText },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom('x', 'é', '😀', '\u0000', '\\"', '['),
        fc.constantFrom(64, 65, 128, 129, 200, 201, 256, 999, 1025, 4097, 65_536, 70_000),
      )
      .map(([unit, n]) => rep(unit, n)),
  },
);

/** Numbers at the edges of every integer and float range the server might use, and JSON spellings of them. */
export const boundaryNumber: fc.Arbitrary<Value> = fc.oneof(
  fc.constantFrom<Value>(
    0,
    -0,
    1,
    -1,
    0.5,
    4,
    5,
    200,
    201,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 32,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 1,
    -Number.MAX_SAFE_INTEGER - 1,
    1e21,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    8_640_000_000_000_000,
    -8_640_000_000_000_000,
  ),
  fc.constantFrom(
    raw('1e309'),
    raw('-1e309'),
    raw('-0.0'),
    raw('1.0'),
    raw('1E2'),
    raw('0e0'),
    raw('123456789012345678901234567890'),
  ),
  fc.double(),
  fc.integer(),
);

/** Dates around every bound `scheduled` and stored dates have: now, 366 days, 1970, 9999, the Date range. */
export const boundaryDate: fc.Arbitrary<Value> = fc.oneof(
  fc
    .constantFrom(-2000, 1000, 60_000, DAY, 365 * DAY, 366 * DAY - 60_000, 366 * DAY + 60_000)
    .chain((d) => fc.constantFrom(at('ms', d), at('iso', d))),
  fc.constantFrom<Value>(
    0,
    -1,
    8_640_000_000_000_000,
    8_640_000_000_000_001,
    253_402_300_799_999,
    253_402_300_800_000,
    '1970-01-01T00:00:00.000Z',
    '1969-12-31T23:59:59.999Z',
    '9999-12-31T23:59:59.999Z',
    '+275760-09-13T00:00:00.000Z',
    '-000001-01-01T00:00:00.000Z',
    '2030-02-30T00:00:00Z',
    '2030-01-01T24:00:00Z',
    '2030-01-01T00:00:60Z',
    '2030-01-01',
    '2030-01-01T00:00:00+14:00',
    '2030-01-01T00:00:00.123456789Z',
    'tomorrow',
    raw('1e309'),
  ),
);

/** Nesting: within, at and over the depth limit, thousands deep, and wide. */
export const nesting: fc.Arbitrary<Value> = fc.oneof(
  fc.constantFrom(30, 31, 32, 33, 100, 10_000).chain((n) => fc.constantFrom(deep('[', n), deep('{', n))),
  fc.integer({ min: 1, max: 20 }).map((n) => {
    let v: Value = 1;
    for (let i = 0; i < n; i += 1) v = i % 2 === 0 ? [v] : { k: v };
    return v;
  }),
  fc.constantFrom(100, 3000, 5000).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]))),
  fc.constantFrom(1001, 10_001).map((n) => Array.from({ length: n }, () => 'x')),
  // Written as text: in a JS object literal `__proto__` would set the prototype, not a key.
  fc.constant(raw('{"__proto__":{"admin":true},"constructor":{"prototype":{"polluted":1}}}')),
);

/** Any JSON type where another was expected. */
export const wrongType: fc.Arbitrary<Value> = fc.constantFrom<Value>(null, true, false, 0, '', [], {}, [null], {
  '': '',
});

/** Something hostile of any kind, for a field. */
export const hostileValue: fc.Arbitrary<Value> = fc.oneof(
  { weight: 3, arbitrary: hostileString },
  { weight: 2, arbitrary: boundaryNumber },
  { weight: 1, arbitrary: boundaryDate },
  { weight: 2, arbitrary: wrongType },
  { weight: 1, arbitrary: nesting },
);
