import type { QuietHours } from '../../schema/local-time.js';
import { minutesOf, nextLocal, wallOf, zoneOr } from '../local-time.js';
import type { Urgency } from '../../schema/message.js';
import type { StepChannel } from './types.js';

// Quiet hours (docs/campaigns.md): a recipient's non-urgent pushes, emails and SMS wait for the
// end of their quiet hours. Urgency 4 ignores them; the websocket (the recipient is looking) and
// MQTT topics (whoever subscribes, not the recipient's phone) are not deferred. The hours are
// [from, to) in the quiet hours' own zone, else the user's profile zone, else UTC; `to` before
// `from` spans midnight; from == to is no quiet hours at all.

const DAY_MINUTES = 1_440;

/** The channels quiet hours hold back. */
export const quietable = (channel: StepChannel): boolean => channel !== 'websocket' && channel !== 'mqtt';

/**
 * When the quiet hours around `at` end, if `at` falls in them; undefined when it does not (or
 * the message is urgent, or there are none). Pure: the zone's rules come from the runtime's Intl.
 */
export const quietUntil = (
  at: number,
  urgency: Urgency,
  quiet: QuietHours | undefined,
  profileZone: string | undefined,
): number | undefined => {
  if (quiet === undefined || urgency === 4) return undefined;
  const from = minutesOf(quiet.from);
  const to = minutesOf(quiet.to);
  if (from === to) return undefined;
  const zone = zoneOr(quiet.timezone ?? profileZone);
  const local = Math.floor(wallOf(at, zone) / 60_000) % DAY_MINUTES;
  const inside = from < to ? local >= from && local < to : local >= from || local < to;
  return inside ? nextLocal(at, to, zone) : undefined;
};
