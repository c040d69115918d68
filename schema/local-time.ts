import * as t from 'io-ts';

// Wall-clock times and time zones (quiet hours, local-time schedules; docs/campaigns.md).
// A zone is an IANA name that this runtime's Intl knows ("Europe/Paris", "UTC"); anything
// else is refused as input with a 400 naming the field. Stored events use the looser
// `StoredTimeZone` (a bounded name), so an event written while a zone existed still decodes
// if a later tz database drops it; the domain then falls back to UTC for it.

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
/** "HH:MM", 24-hour, 00:00..23:59. */
export const WallClock = t.refinement(t.string, (s) => HHMM.test(s), 'WallClock (HH:MM, 00:00..23:59)');
export type WallClock = t.TypeOf<typeof WallClock>;

const known = new Map<string, boolean>();
/** True when Intl resolves the zone (cached: building a formatter costs tens of microseconds). */
export const isTimeZone = (s: string): boolean => {
  const hit = known.get(s);
  if (hit !== undefined) return hit;
  let ok = false;
  // Offsets ("+02:00") are accepted by newer Intl builds but are not zones: no DST, no name.
  if (s.length <= 64 && /^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(s)) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: s });
      ok = true;
    } catch {
      ok = false;
    }
  }
  if (known.size < 1_000) known.set(s, ok);
  return ok;
};

export const TimeZone = t.refinement(t.string, isTimeZone, 'TimeZone (an IANA name, e.g. Europe/Paris)');
export const StoredTimeZone = t.refinement(t.string, (s) => s.length >= 1 && s.length <= 64, 'StoredTimeZone');

/** Quiet hours as a client sends them: [from, to) local time; `to` before `from` spans midnight. */
export const QuietHoursInput = t.intersection(
  [t.type({ from: WallClock, to: WallClock }), t.partial({ timezone: TimeZone })],
  'QuietHours',
);
export const StoredQuietHours = t.intersection(
  [t.type({ from: WallClock, to: WallClock }), t.partial({ timezone: StoredTimeZone })],
  'StoredQuietHours',
);
export type QuietHours = t.TypeOf<typeof StoredQuietHours>;

/**
 * `scheduled` as a local wall-clock time: at the next `at` in `timezone`, or, with "recipient",
 * at `at` in each recipient's own zone (their profile `timezone`, else `fallback`, else UTC).
 */
export const LocalScheduleInput = t.intersection(
  [t.type({ at: WallClock, timezone: t.union([t.literal('recipient'), TimeZone]) }), t.partial({ fallback: TimeZone })],
  'LocalSchedule',
);
export const StoredLocalSchedule = t.intersection(
  [
    t.type({ at: WallClock, timezone: t.union([t.literal('recipient'), StoredTimeZone]) }),
    t.partial({ fallback: StoredTimeZone }),
  ],
  'StoredLocalSchedule',
);
export type LocalSchedule = t.TypeOf<typeof StoredLocalSchedule>;
