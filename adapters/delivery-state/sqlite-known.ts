import type { Database } from 'better-sqlite3';
import { LIMITS } from '../../schema/bounds.js';
import type { DeviceEntry, Profile } from '../../schema/delivery-state.js';
import type { DeviceChannel } from '../../schema/devices.js';
import type { QuietHours } from '../../schema/local-time.js';

// A broadcast's page of recipients with their profiles, in one ordered pass over the directory
// (issue 13): the known users with their contact points in uid order, and the zones and devices
// of the same uid range. Paging the uids first and then reading the same users' rows again by
// uid (`known`, then `profiles` with the page as a JSON list) read each user's row twice and
// looked every uid up once per table; this is three range scans of the tables' keys per page.

type UserRow = [uid: string, email: string | null, cell: string | null, channels: string];
type DeviceRow = [uid: string, deviceId: string, channel: DeviceChannel, position: number];

// Most users keep the default (no channel preference): no parse for it.
const strings = (json: string): string[] => (json === '[]' ? [] : (JSON.parse(json) as string[]));

const newestFirst = (a: DeviceRow, b: DeviceRow): number => b[3] - a[3];

export const knownProfilesReader = (
  db: Database,
): ((before: number, after: string, limit: number) => Map<string, Profile>) => {
  const users = db
    .prepare<[string, number, number], UserRow>(
      `SELECT uid, email, cell, channels FROM dir_users
       WHERE uid > ? AND first_position IS NOT NULL AND first_position < ? ORDER BY uid LIMIT ?`,
    )
    .raw(true);
  // The zones and devices of the page's uid range, each a range scan of its table's key (a join
  // per user cost as much again as the users' scan; most users have no zone). The range may hold
  // users not known yet (a profile only): their rows are not looked at.
  const times = db
    .prepare<[string, string], [uid: string, timezone: string | null, quiet: string | null]>(
      'SELECT uid, timezone, quiet FROM dir_user_time WHERE uid > ? AND uid <= ?',
    )
    .raw(true);
  const devices = db
    .prepare<[string, string], DeviceRow>(
      'SELECT uid, device_id, channel, position FROM dir_devices WHERE uid > ? AND uid <= ?',
    )
    .raw(true);
  return (before, after, limit) => {
    const rows = users.all(after, before, limit);
    const out = new Map<string, Profile>();
    const last = rows[rows.length - 1];
    if (last === undefined) return out;
    const timeOf = new Map<string, [string, string | null, string | null]>();
    for (const t of times.all(after, last[0])) timeOf.set(t[0], t);
    const rowsOf = new Map<string, DeviceRow[]>();
    for (const d of devices.all(after, last[0])) {
      const mine = rowsOf.get(d[0]);
      if (mine === undefined) rowsOf.set(d[0], [d]);
      else mine.push(d);
    }
    for (const [uid, email, cell, channels] of rows) {
      const t = timeOf.get(uid);
      const mine = rowsOf.get(uid);
      // Newest first and capped, as `profiles` answers (a plan uses LIMITS.devices at most).
      if (mine !== undefined && mine.length > 1) mine.sort(newestFirst);
      const devices: DeviceEntry[] = [];
      if (mine !== undefined)
        for (let k = 0; k < mine.length && k < LIMITS.devices; k++) {
          const d = mine[k];
          if (d !== undefined) devices.push({ deviceId: d[1], channel: d[2] });
        }
      // One object per user, the optional fields set only when present (no spread objects).
      const profile: { -readonly [K in keyof Profile]: Profile[K] } = {
        devices,
        email,
        cell,
        channels: strings(channels),
      };
      if (t?.[1] != null) profile.timezone = t[1];
      if (t?.[2] != null) profile.quietHours = JSON.parse(t[2]) as QuietHours;
      out.set(uid, profile);
    }
    return out;
  };
};
