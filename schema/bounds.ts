import * as t from 'io-ts';

// The bounds of every value the broker stores, defined once. The HTTP command codecs
// (schema/http.ts) and the stored-event codecs (schema/events.ts, schema/triage-events.ts,
// schema/metadata.ts) are built from these, so whatever a command accepts, the read side
// decodes: a value outside a bound is refused as input with a 400 naming the field, never
// acknowledged and then skipped by every projection on replay (issue 9, finding 4).
export const LIMITS = {
  /** `msg`: a message's text. */
  text: 65_536,
  /** `subject`: RFC 5322's line length. */
  subject: 998,
  /** A thread's display name. */
  name: 200,
  /** Short labels: message types, collapse keys. */
  label: 64,
  /** Why something failed or was revoked (providers' answers are clipped to this). */
  reason: 1024,
  /** A provider's id for a sent message, a delivery key, an event id. */
  reference: 1024,
  /** Native device tokens (APNs, FCM). */
  deviceToken: 4096,
  /** Web push subscription endpoints. */
  endpoint: 2048,
  /** Node names, correlation ids, run ids, cursors. */
  tag: 256,
  /** Entries of one list of message ids (receipts, deletions). */
  mids: 1000,
  /** Recipients named by one message (multicast) or planned in one triage batch. */
  recipients: 10_000,
  /**
   * Uids in one AudienceChunk event (a segment or query audience over `recipients`, stored in
   * parts): 2,000 uids of at most 128 characters stay near 260 KB, well inside one JetStream
   * message (1 MiB) and one SQLite append request, whatever the audience's size.
   */
  audienceChunk: 2_000,
  /** Channel names in one preference list. */
  channels: 32,
  /** Message types of one thread. */
  mtypes: 64,
  /** Devices one user may have enlisted; enlisting one more revokes the oldest. */
  devices: 32,
  /** Steps planned for one recipient: websocket, one per device, email, SMS. */
  steps: 64,
  /** Users in one check-in event (api/ws/checkin.ts writes 1000). */
  checkins: 10_000,
  /** Roles in a token (and so in every event's actor). */
  roles: 32,
} as const;

/**
 * Each bounded codec's bounds as data, for whatever describes or exercises the codecs: the
 * property tests generate values at and inside every bound from these (test/contract/arbitraries.ts).
 */
export type Bounds =
  | { readonly kind: 'string'; readonly min: number; readonly max: number }
  | { readonly kind: 'array'; readonly min: number; readonly max: number; readonly of: t.Mixed }
  | { readonly kind: 'int'; readonly min: number; readonly max: number };
const BOUNDS = new WeakMap<t.Mixed, Bounds>();
export const boundsOf = (codec: t.Mixed): Bounds | undefined => BOUNDS.get(codec);
const described = <C extends t.Mixed>(codec: C, bounds: Bounds): C => {
  BOUNDS.set(codec, bounds);
  return codec;
};

/** A string of `min..max` UTF-16 code units; the codec's name is what a 400 says was expected. */
export const boundedString = (
  min: number,
  max: number,
  name = min > 0 ? `string of ${min}..${max} characters` : `string of at most ${max} characters`,
) =>
  described(
    t.refinement(t.string, (s) => s.length >= min && s.length <= max, name),
    { kind: 'string', min, max },
  );

export const boundedArray = <C extends t.Mixed>(
  codec: C,
  min: number,
  max: number,
  name = `list of ${min}..${max} ${codec.name}`,
) =>
  described(
    t.refinement(t.array(codec), (a) => a.length >= min && a.length <= max, name),
    { kind: 'array', min, max, of: codec },
  );

/**
 * A number that JSON writes as it is: finite, and never -0 (written as 0), which decoding
 * turns into 0 so that the value decided on is the value read back.
 */
export const jsonNumber = (name: string, ok: (n: number) => boolean): t.Type<number> =>
  new t.Type<number>(
    name,
    (u): u is number => typeof u === 'number' && Number.isFinite(u) && !Object.is(u, -0) && ok(u),
    (u, c) => (typeof u === 'number' && Number.isFinite(u) && ok(u) ? t.success(u === 0 ? 0 : u) : t.failure(u, c)),
    t.identity,
  );

/** A finite integer `min..max` (never NaN, never Infinity, never a fraction). */
export const boundedInt = (min: number, max: number, name = `integer ${min}..${max}`) =>
  described(
    jsonNumber(name, (n) => Number.isSafeInteger(n) && n >= min && n <= max),
    { kind: 'int', min, max },
  );

/** Text from outside (providers' answers) keeps a bounded prefix where it is stored. */
export const clip = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

/** Counters: attempts, batches, sessions, milliseconds. */
export const Count = boundedInt(0, Number.MAX_SAFE_INTEGER, 'Count');

// ---- time. Every date the broker stores is an ISO-8601 string inside [1970, 9999]: the
// range in which `Date#toISOString` writes the four-digit year that readers expect. The
// write side turns dates into strings with toISOString, so a value out of range would have
// been written as `+275760-...` and refused on read.
export const TIME_MIN_MS = 0;
export const TIME_MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
export const isTimeMs = (ms: number): boolean => Number.isFinite(ms) && ms >= TIME_MIN_MS && ms <= TIME_MAX_MS;

const ISO_PREFIX = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
const checkTimestamp = (s: string): boolean => s.length <= 40 && ISO_PREFIX.test(s) && isTimeMs(Date.parse(s));
// The steps of a plan share a few times (a triage batch of 500 recipients names the same `at`
// 1,500 times): the last two answers are kept, so a repeated string is not parsed again, also
// when a plan's steps alternate between two times (a push now, its escalation later).
let lastTimestamp = { s: '', ok: false };
let otherTimestamp = { s: '', ok: false };
export const isTimestamp = (s: string): boolean => {
  if (s === lastTimestamp.s) return lastTimestamp.ok;
  if (s !== otherTimestamp.s) otherTimestamp = { s, ok: checkTimestamp(s) };
  const last = lastTimestamp;
  lastTimestamp = otherTimestamp;
  otherTimestamp = last;
  return lastTimestamp.ok;
};

/** A stored date: ISO-8601 (as toISOString writes it) within [1970, 9999]. */
export const Timestamp = t.refinement(t.string, isTimestamp, 'ISO-8601 date-time between 1970 and 9999');

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/**
 * Whether an ISO-8601 text's day is in its month. Date.parse rolls a day past the month's end
 * over (2026-02-30 is March 2), so input must be checked before it is parsed; stored dates were
 * written by toISOString and need not be.
 */
export const dayIsInMonth = (s: string): boolean => {
  const [y = 0, m = 0, d = 0] = s.slice(0, 10).split('-').map(Number);
  const leap = m === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return d <= (DAYS[m - 1] ?? 0) + (leap ? 1 : 0);
};

/**
 * Input dates (`scheduled`): an ISO-8601 date-time or epoch milliseconds, within the same
 * range as Timestamp, decoded to a Date (a day its month does not have is refused, not moved
 * to the next month). The domain adds the bound relative to now.
 */
export const When = new t.Type<Date, string, unknown>(
  'ISO-8601 date-time or integer epoch milliseconds between 1970 and 9999',
  (u): u is Date => u instanceof Date && isTimeMs(u.getTime()),
  (u, c) => {
    if (typeof u === 'number' && Number.isSafeInteger(u) && isTimeMs(u)) return t.success(new Date(u));
    if (typeof u === 'string' && isTimestamp(u) && dayIsInMonth(u)) return t.success(new Date(u));
    return t.failure(u, c);
  },
  (d) => d.toISOString(),
);
