import { isTimeZone } from '../schema/local-time.js';

// Wall-clock arithmetic in IANA zones with the runtime's Intl (no tz library): the offset of a
// zone at an instant, and the instant of a local date and time. Pure (the tz database is part of
// the runtime, like the arithmetic). A local time that does not exist (the hour skipped when
// clocks go forward) resolves to the same time shifted forward by the gap, one that exists twice
// (clocks go back) to the earlier instant: Temporal's "compatible" disambiguation.

const MINUTE = 60_000;
const DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
const formatterOf = (zone: string): Intl.DateTimeFormat => {
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    if (formatters.size < 1_000) formatters.set(zone, f);
  }
  return f;
};

/** The zone to compute in: a zone this runtime no longer knows is treated as UTC. */
export const zoneOr = (zone: string | null | undefined, fallback = 'UTC'): string =>
  zone !== null && zone !== undefined && isTimeZone(zone) ? zone : fallback;

/** The local wall clock at `ms` as if it were UTC (epoch ms, minute precision). */
export const wallOf = (ms: number, zone: string): number => {
  const p: Record<string, number> = {};
  for (const part of formatterOf(zone).formatToParts(new Date(ms))) p[part.type] = Number(part.value);
  return Date.UTC(p['year'] ?? 1970, (p['month'] ?? 1) - 1, p['day'] ?? 1, p['hour'] ?? 0, p['minute'] ?? 0);
};

/** Minutes east of UTC at `ms`. */
export const offsetAt = (ms: number, zone: string): number =>
  Math.round((wallOf(ms, zone) - Math.floor(ms / MINUTE) * MINUTE) / MINUTE);

/** The instant whose wall clock in `zone` is `wall` (a local time written as if UTC). */
export const instantOf = (wall: number, zone: string): number => {
  const before = offsetAt(wall - DAY, zone);
  const after = offsetAt(wall + DAY, zone);
  const fits = [before, after]
    .map((o) => wall - o * MINUTE)
    .filter((t) => wallOf(t, zone) === wall)
    .sort((a, b) => a - b);
  // Exists (once or twice): the earlier. Skipped: shifted forward by the gap.
  return fits[0] ?? wall - before * MINUTE;
};

/** "HH:MM" as minutes after midnight. */
export const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The first instant at or after `from` whose local time in `zone` is `minutes` after midnight. */
export const nextLocal = (from: number, minutes: number, zone: string): number => {
  const wall = wallOf(from, zone);
  const midnight = wall - (wall % DAY);
  for (let day = 0; day < 3; day++) {
    const t = instantOf(midnight + day * DAY + minutes * MINUTE, zone);
    if (t >= from) return t;
  }
  /* c8 ignore next: two days always hold a later occurrence */
  return from;
};
