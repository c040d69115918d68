import type { Database } from 'better-sqlite3';
import { LIMITS } from '../../schema/bounds.js';
import type { DeviceEntry, Profile } from '../../schema/delivery-state.js';
import type { DeviceChannel } from '../../schema/devices.js';
import type { QuietHours } from '../../schema/local-time.js';

// A broadcast's page of recipients with their profiles, in one ordered pass over the directory
// (issue 13): the known users and their contact points, zone and quiet hours in uid order, and
// the devices of the same uid range. Paging the uids first and then reading the same users'
// rows again by uid (`known`, then `profiles` with the page as a JSON list) read each row twice
// and looked every uid up once per table; this is two range scans per page.

type UserRow = [
  uid: string,
  email: string | null,
  cell: string | null,
  channels: string,
  timezone: string | null,
  quiet: string | null,
];

// Most users keep the default (no channel preference): no parse for it.
const strings = (json: string): string[] => (json === '[]' ? [] : (JSON.parse(json) as string[]));

export const knownProfilesReader = (
  db: Database,
): ((before: number, after: string, limit: number) => Map<string, Profile>) => {
  const users = db
    .prepare<[string, number, number], UserRow>(
      `SELECT u.uid, u.email, u.cell, u.channels, t.timezone, t.quiet FROM dir_users u
       LEFT JOIN dir_user_time t ON t.uid = u.uid
       WHERE u.uid > ? AND u.first_position IS NOT NULL AND u.first_position < ? ORDER BY u.uid LIMIT ?`,
    )
    .raw(true);
  // Newest first per user, as `profiles` answers (a plan uses LIMITS.devices at most).
  const devices = db
    .prepare<[string, string], [uid: string, deviceId: string, channel: DeviceChannel]>(
      'SELECT uid, device_id, channel FROM dir_devices WHERE uid > ? AND uid <= ? ORDER BY uid, position DESC',
    )
    .raw(true);
  return (before, after, limit) => {
    const rows = users.all(after, before, limit);
    const out = new Map<string, Profile>();
    const last = rows[rows.length - 1];
    if (last === undefined) return out;
    // The range may hold users not known yet (a profile only): their devices are not looked at.
    const devicesOf = new Map<string, DeviceEntry[]>();
    for (const [uid, deviceId, channel] of devices.all(after, last[0])) {
      const mine = devicesOf.get(uid) ?? [];
      if (mine.length === 0) devicesOf.set(uid, mine);
      if (mine.length < LIMITS.devices) mine.push({ deviceId, channel });
    }
    for (const [uid, email, cell, channels, timezone, quiet] of rows)
      out.set(uid, {
        ...(timezone === null ? {} : { timezone }),
        ...(quiet === null ? {} : { quietHours: JSON.parse(quiet) as QuietHours }),
        devices: devicesOf.get(uid) ?? [],
        email,
        cell,
        channels: strings(channels),
      });
    return out;
  };
};
