import fc from 'fast-check';
import * as t from 'io-ts';
import { TIME_MAX_MS, TIME_MIN_MS, boundsOf } from '../../schema/bounds.js';
import type { JsonObject, JsonValue } from '../../schema/json.js';
import { PAYLOAD_LIMITS } from '../../schema/payload.js';
import { segmentQuery } from './segment-arbitrary.js';
import { MAX_VARIANTS, MAX_VARIANT_WEIGHT } from '../../schema/variants.js';

// fast-check arbitraries GENERATED from io-ts codecs: the stored-event codecs (schema/events.ts,
// schema/triage-events.ts) and the HTTP body codecs (schema/http.ts). A new event type, or a new
// field, gets its arbitrary from its codec; only a new kind of leaf (a refinement with neither
// bounds from schema/bounds.ts nor an entry in LEAVES below) has none, and then `arbitraryOf`
// throws, naming it, so the round-trip tests fail until someone says how to generate it.
//
// Values lean on the edges on purpose: strings at exactly their maximum length, lone
// surrogates, NUL and quotes; numbers at their bounds, -0, the largest and smallest doubles;
// dates at 1970 and 9999 and with offsets; JSON keys such as __proto__ and constructor.

/** Single UTF-16 code units, so a string's length is its number of units: ASCII, any unit (lone surrogates included), specials. */
const unit = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.constantFrom('\u0000', '"', '\\', '\ud800', '\udfff', '\u2028', 'é') },
);
const text = (min: number, max: number): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.string({ unit, minLength: min, maxLength: Math.min(max, Math.max(min, 24)) }) },
    { weight: 1, arbitrary: fc.constantFrom('a', '\ud800', '"', 'é', '\u0000').map((c) => c.repeat(max)) },
    ...(min > 0 ? [{ weight: 1, arbitrary: fc.constantFrom('a', '\udfff').map((c) => c.repeat(min)) }] : []),
  );
const int = (min: number, max: number): fc.Arbitrary<number> =>
  fc.oneof(fc.constantFrom(min, max), fc.integer({ min, max: Math.min(max, min + 1000) }), fc.integer({ min, max }));

const isoMs = fc.oneof(fc.constantFrom(TIME_MIN_MS, TIME_MAX_MS), fc.integer({ min: TIME_MIN_MS, max: TIME_MAX_MS }));
/** Canonical ISO strings, plus forms the codec also accepts (offsets, no milliseconds). */
const timestamp = fc.oneof(
  { weight: 4, arbitrary: isoMs.map((ms) => new Date(ms).toISOString()) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('2030-01-01T05:00:00+05:00', '2030-06-01T12:00Z', '1999-12-31T23:59:59.5-01:00'),
  },
);

// JSON: __proto__ and friends must stay own keys, so objects are built with defineProperty.
const key = fc.oneof(
  { weight: 5, arbitrary: text(0, 12) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', '', 'data') },
);
const number = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(-0, Number.MAX_VALUE, Number.MIN_VALUE, Number.MAX_SAFE_INTEGER + 2, -1e-7),
);
const objectOf = (entries: readonly (readonly [string, JsonValue])[]): JsonObject => {
  const o: JsonObject = {};
  for (const [k, v] of entries)
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
};
const { json } = fc.letrec<{ json: JsonValue }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    number,
    text(0, 40),
    fc.array(tie('json'), { maxLength: 4 }),
    fc.array(fc.tuple(key, tie('json')), { maxLength: 4 }).map(objectOf),
  ),
}));
/** `reserve`: characters left for keys the caller adds (opts' known keys). */
export const jsonObject = (exclude: readonly string[] = [], reserve = 0): fc.Arbitrary<JsonObject> =>
  fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .array(
          fc.tuple(
            key.filter((k) => !exclude.includes(k)),
            json,
          ),
          { maxLength: 5 },
        )
        .map(objectOf),
    },
    // The size bounds themselves: the most characters one payload may hold.
    { weight: 1, arbitrary: fc.constant(objectOf([['k', 'x'.repeat(PAYLOAD_LIMITS.chars - 1 - reserve)]])) },
  );

const ID = /^[A-Za-z0-9._:@+=-]{1,128}$/;
const id = fc.oneof(
  { weight: 5, arbitrary: fc.stringMatching(ID) },
  { weight: 1, arbitrary: fc.constant('i'.repeat(128)) },
);
const visible = (max: number) =>
  fc.oneof(
    fc.string({
      unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
      minLength: 1,
      maxLength: 40,
    }),
    fc.constant('~'.repeat(max)),
  );

/** Leaves by codec name: refinements whose predicate is a pattern rather than a bound. */
const variantName = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,31}$/);
// Small texts: with the rest of a generated opts they stay within opts' own limits (schema/payload.ts).
const variants = fc.uniqueArray(
  fc.record(
    {
      name: variantName,
      msg: text(1, 40),
      weight: int(1, MAX_VARIANT_WEIGHT),
      subject: text(0, 40),
    },
    { requiredKeys: ['name', 'msg', 'weight'] },
  ),
  { minLength: 2, maxLength: MAX_VARIANTS, selector: (v) => v.name },
);
const LEAVES: Record<string, fc.Arbitrary<unknown>> = {
  UserId: id,
  ThreadId: id,
  MessageId: id,
  DeviceId: id,
  ChannelName: fc.stringMatching(/^~?[a-z][a-z0-9_-]{0,31}$/),
  ReceiptChannel: fc.stringMatching(/^[a-z][a-z0-9_-]{0,31}$/),
  'ISO-8601 date-time between 1970 and 9999': timestamp,
  'ISO-8601 date-time or integer epoch milliseconds between 1970 and 9999': fc.oneof(
    isoMs,
    isoMs.map((ms) => new Date(ms).toISOString()),
  ),
  'epoch milliseconds between 1970 and 9999': fc.oneof(
    isoMs,
    fc.double({ min: TIME_MIN_MS, max: TIME_MAX_MS, noNaN: true }),
  ),
  EmailAddress: fc.emailAddress().filter((s) => s.length <= 254 && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s)),
  CellNumber: fc.stringMatching(/^\+?[1-9]\d{6,14}$/),
  'WallClock (HH:MM, 00:00..23:59)': fc.stringMatching(/^([01]\d|2[0-3]):[0-5]\d$/),
  'TimeZone (an IANA name, e.g. Europe/Paris)': fc.constantFrom(
    'UTC',
    'Europe/Paris',
    'America/New_York',
    'Asia/Kathmandu',
    'Pacific/Kiritimati',
    'Australia/Lord_Howe',
  ),
  StoredTimeZone: fc.oneof(fc.constantFrom('Europe/Paris', 'Etc/GMT+5'), visible(64)),
  'SHA-256 hex digest': fc.stringMatching(/^[0-9a-f]{64}$/),
  SegmentQuery: segmentQuery,
  [`DeviceToken (1..4096 visible ASCII characters)`]: visible(4096),
  'p256dh (1..256 base64url characters)': visible(256),
  'auth (1..64 base64url characters)': visible(64),
  'URL of at most 2048 characters': fc.oneof(
    fc.webUrl({ validSchemes: ['https'] }).filter((u) => u.length <= 2048 && /^https?:\/\/\S+$/.test(u)),
    fc.constant(`https://fcm.googleapis.com/${'x'.repeat(2048 - 27)}`),
  ),
  [`list of 2..${MAX_VARIANTS} variants with distinct names`]: variants,
  VariantAssignment: fc.dictionary(variantName, fc.array(id, { minLength: 1, maxLength: 4 }), {
    maxKeys: MAX_VARIANTS,
  }),
  opts: fc
    .record({
      rest: jsonObject(['urgency', 'ttl', 'collapse', 'variants'], 2_000),
      known: fc.record(
        { urgency: fc.constantFrom(1, 2, 3, 4), ttl: int(0, 28 * 24 * 3600), collapse: text(1, 64), variants },
        { requiredKeys: [] },
      ),
    })
    .map(({ rest, known }) => objectOf([...Object.entries(rest), ...Object.entries(known)] as [string, JsonValue][])),
};
LEAVES[`JSON object (depth <= 32, <= ${PAYLOAD_LIMITS.values} values, <= ${PAYLOAD_LIMITS.chars} characters)`] =
  jsonObject();
// A profile's attributes: any object, its reserved keys as the directory reads them (schema/profile-attributes.ts).
LEAVES['ProfileAttributes'] = fc
  .record({
    rest: jsonObject(['tags', 'locale'], 2_000),
    known: fc.record(
      {
        tags: fc.oneof(fc.constant(null), fc.array(text(1, 64), { maxLength: 8 })),
        locale: fc.oneof(fc.constant(null), fc.constantFrom('de-DE', 'en', 'pt_BR', 'zh-Hant-TW')),
      },
      { requiredKeys: [] },
    ),
  })
  .map(({ rest, known }) => objectOf([...Object.entries(rest), ...Object.entries(known)] as [string, JsonValue][]));

const mergeAll = (parts: readonly unknown[]): unknown => Object.assign({}, ...parts.map((p) => p as object)) as unknown;

/** `overrides`: arbitraries by codec name that replace the defaults (e.g. ids from a small pool, so requests meet). */
export const arbitraryOf = (
  codec: t.Mixed,
  overrides: Readonly<Record<string, fc.Arbitrary<unknown>>> = {},
): fc.Arbitrary<unknown> => {
  const of = (c: t.Mixed): fc.Arbitrary<unknown> => arbitraryOf(c, overrides);
  const leaf = overrides[codec.name] ?? LEAVES[codec.name];
  if (leaf !== undefined) return leaf;
  const bounds = boundsOf(codec);
  if (bounds?.kind === 'string') return text(bounds.min, bounds.max);
  if (bounds?.kind === 'int') return int(bounds.min, bounds.max);
  if (bounds?.kind === 'array') {
    const item = of(bounds.of);
    const small = fc.array(item, { minLength: bounds.min, maxLength: Math.min(bounds.max, bounds.min + 6) });
    // The full length where that stays small enough to run often; larger maxima are exercised by the e2e tests.
    return bounds.max <= 64
      ? fc.oneof(
          { weight: 5, arbitrary: small },
          { weight: 1, arbitrary: fc.array(item, { minLength: bounds.max, maxLength: bounds.max }) },
        )
      : small;
  }
  if (codec instanceof t.InterfaceType) {
    const props = codec.props as Record<string, t.Mixed>;
    return fc.record(Object.fromEntries(Object.entries(props).map(([k, c]) => [k, of(c)])));
  }
  if (codec instanceof t.PartialType) {
    const props = codec.props as Record<string, t.Mixed>;
    return fc.record(Object.fromEntries(Object.entries(props).map(([k, c]) => [k, of(c)])), { requiredKeys: [] });
  }
  if (codec instanceof t.ExactType) return of(codec.type as t.Mixed);
  if (codec instanceof t.IntersectionType) return fc.tuple(...(codec.types as t.Mixed[]).map(of)).map(mergeAll);
  if (codec instanceof t.UnionType) return fc.oneof(...(codec.types as t.Mixed[]).map(of));
  if (codec instanceof t.ArrayType) return fc.array(of(codec.type as t.Mixed), { maxLength: 4 });
  if (codec instanceof t.LiteralType) return fc.constant(codec.value);
  if (codec instanceof t.KeyofType) return fc.constantFrom(...Object.keys(codec.keys as Record<string, unknown>));
  if (codec instanceof t.StringType) return text(0, 24);
  if (codec instanceof t.BooleanType) return fc.boolean();
  if (codec instanceof t.NullType) return fc.constant(null);
  if (codec instanceof t.NumberType) return number;
  throw new Error(
    `no arbitrary for the codec "${codec.name}": give it bounds (schema/bounds.ts) or an entry in LEAVES (test/contract/arbitraries.ts)`,
  );
};
