import type { LocalSchedule } from '../schema/local-time.js';
import { minutesOf, nextLocal, offsetAt, zoneOr } from './local-time.js';

// Local-time schedules (docs/campaigns.md). A schedule in one zone is one instant: the next
// `at` there after publication. "recipient" is an instant per recipient: the next `at` in their
// profile zone (else the schedule's `fallback`, else UTC) after publication; the message itself
// falls due (its inbox time, live sessions, triage) at the earliest of them, the first instant
// any zone of the runtime's tz database shows `at`, so no push comes before its message exists.

const HOUR = 3_600_000;
let zones: readonly string[] | undefined;
const allZones = (): readonly string[] => (zones ??= Intl.supportedValuesOf('timeZone'));

/** One zone per pair of offsets (now, in 26 h): zones that agree on both reach `at` together. */
const representatives = (from: number): string[] => {
  const seen = new Map<string, string>();
  for (const z of allZones()) {
    const k = `${offsetAt(from, z)}/${offsetAt(from + 26 * HOUR, z)}`;
    if (!seen.has(k)) seen.set(k, z);
  }
  return [...seen.values()];
};

/** The instant the message falls due: strictly after `from` (its publication). */
export const firstLocal = (s: LocalSchedule, from: number): number => {
  const minutes = minutesOf(s.at);
  if (s.timezone !== 'recipient') return nextLocal(from + 1, minutes, zoneOr(s.timezone));
  let first = nextLocal(from + 1, minutes, zoneOr(s.fallback));
  for (const z of representatives(from)) first = Math.min(first, nextLocal(from + 1, minutes, z));
  return first;
};

/** When one recipient's delivery starts, for a "recipient" schedule; never before the message is due. */
export const recipientLocal = (
  s: LocalSchedule,
  publishedAt: number,
  due: number,
  recipientZone: string | undefined,
): number =>
  s.timezone !== 'recipient'
    ? due
    : Math.max(due, nextLocal(publishedAt + 1, minutesOf(s.at), zoneOr(recipientZone, zoneOr(s.fallback))));
