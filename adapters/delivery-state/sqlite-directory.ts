import type { Database } from 'better-sqlite3';
import type { DirectoryReads } from '../../ports/delivery-state.js';
import { LIMITS } from '../../schema/bounds.js';
import type {
  Contact,
  DeviceMove,
  DirectoryMessage,
  MessageStatus,
  Profile,
  PublishedData,
} from '../../schema/delivery-state.js';
import type { Device, DeviceChannel } from '../../schema/devices.js';
import type { QuietHours } from '../../schema/local-time.js';
import { knownProfilesReader } from './sqlite-known.js';
import type { StoredMessages } from './sqlite-stored-messages.js';

// The directory's reads in SQLite (its writes: sqlite-directory-writer.ts). Stored JSON was written
// from decoded events, so the casts restate what the codecs checked on the way in.

// Most users keep the default (no channel preference): no parse for it.
const strings = (json: string): string[] => (json === '[]' ? [] : (JSON.parse(json) as string[]));

export const directoryReads = (db: Database, stored?: StoredMessages): DirectoryReads => {
  const message = db.prepare<
    [string],
    { data: string; position: number; status: MessageStatus; event_id: string; correlation: string }
  >('SELECT data, position, status, event_id, correlation FROM dir_messages WHERE mid = ?');
  const state = db.prepare<[string], { status: MessageStatus; tid: string | null }>(
    'SELECT status, tid FROM dir_messages WHERE mid = ?',
  );
  // A message's data never changes once stored, so it is parsed once per mid (a multicast's
  // data holds its whole audience); a few recent ones are enough for dispatch's batches.
  const parsed = new Map<string, PublishedData>();
  const dataOf = (mid: string, json: string): PublishedData => {
    const hit = parsed.get(mid);
    if (hit !== undefined) return hit;
    const data = JSON.parse(json) as PublishedData;
    parsed.set(mid, data);
    if (parsed.size > 64) parsed.delete(parsed.keys().next().value ?? '');
    return data;
  };
  const thread = db.prepare<[string], { name: string | null; channels: string; fallback: string }>(
    'SELECT name, channels, fallback FROM dir_threads WHERE tid = ?',
  );
  const user = db.prepare<[string], { email: string | null; cell: string | null; channels: string }>(
    'SELECT email, cell, channels FROM dir_users WHERE uid = ?',
  );
  const perThread = db
    .prepare<[string, string], string>('SELECT channels FROM dir_user_threads WHERE uid = ? AND tid = ?')
    .pluck();
  const device = db
    .prepare<[string, string], string>('SELECT device FROM dir_devices WHERE uid = ? AND device_id = ?')
    .pluck();
  const holders = db
    .prepare<[string, string], string>(
      'SELECT uid FROM dir_devices WHERE device_id = ? UNION SELECT uid FROM dir_device_moves WHERE device_id = ?',
    )
    .pluck();
  const moves = db.prepare<[string], { uid: string; revision: number }>(
    'SELECT uid, revision FROM dir_device_moves WHERE device_id = ? ORDER BY uid',
  );
  const members = db
    .prepare<[string, string, number], string>(
      'SELECT uid FROM dir_members WHERE tid = ? AND uid > ? ORDER BY uid LIMIT ?',
    )
    .pluck();
  const known = db
    .prepare<[string, number, number], string>(
      'SELECT uid FROM dir_users WHERE uid > ? AND first_position IS NOT NULL AND first_position < ? ORDER BY uid LIMIT ?',
    )
    .pluck();

  const knownProfiles = knownProfilesReader(db);

  const messageOf = (mid: string): DirectoryMessage | undefined => {
    const kept = stored?.get(mid);
    if (kept !== undefined) return kept;
    const r = message.get(mid);
    return r === undefined
      ? undefined
      : {
          data: dataOf(mid, r.data),
          position: r.position,
          status: r.status,
          eventId: r.event_id,
          correlationId: r.correlation,
        };
  };
  // A page of recipients in three queries instead of three per recipient (triage's facts were
  // most of its per-recipient cost): the uids go in as one JSON array. Rows come back as
  // arrays (`raw`), not objects: a broadcast reads a row or two per recipient, and making the
  // row objects was most of what these reads cost after the statements themselves.
  const usersIn = db
    .prepare<[string], [uid: string, email: string | null, cell: string | null, channels: string]>(
      'SELECT uid, email, cell, channels FROM dir_users WHERE uid IN (SELECT value FROM json_each(?))',
    )
    .raw(true);
  const devicesIn = db
    .prepare<[string], [uid: string, deviceId: string, channel: DeviceChannel]>(
      'SELECT uid, device_id, channel FROM dir_devices WHERE uid IN (SELECT value FROM json_each(?)) ORDER BY uid, position DESC',
    )
    .raw(true);
  const perThreadIn = db.prepare<[string, string], { uid: string; channels: string }>(
    'SELECT uid, channels FROM dir_user_threads WHERE tid = ? AND uid IN (SELECT value FROM json_each(?))',
  );
  const timesIn = db
    .prepare<[string], [uid: string, timezone: string | null, quiet: string | null]>(
      'SELECT uid, timezone, quiet FROM dir_user_time WHERE uid IN (SELECT value FROM json_each(?))',
    )
    .raw(true);
  const devicesWithBodyIn = db
    .prepare<[string], [uid: string, deviceId: string, device: string]>(
      'SELECT uid, device_id, device FROM dir_devices WHERE uid IN (SELECT value FROM json_each(?))',
    )
    .raw(true);
  const devicesOfMany = (uids: readonly string[]): Map<string, Map<string, Device>> => {
    const out = new Map<string, Map<string, Device>>();
    for (const uid of uids) out.set(uid, new Map());
    for (const [uid, deviceId, device] of devicesWithBodyIn.all(JSON.stringify(uids)))
      out.get(uid)?.set(deviceId, JSON.parse(device) as Device);
    return out;
  };
  /** Opt-outs and contact points of a page of users (`list`: their uids as JSON). */
  const contactsOf = (uids: readonly string[], list: string, tid: string | undefined): Map<string, Contact> => {
    const users = new Map<string, [string, string | null, string | null, string]>();
    for (const u of usersIn.all(list)) users.set(u[0], u);
    const threads = new Map(
      tid === undefined ? [] : perThreadIn.all(tid, list).map((r): [string, string] => [r.uid, r.channels]),
    );
    const out = new Map<string, Contact>();
    for (const uid of uids) {
      const u = users.get(uid);
      const forThread = threads.get(uid);
      // One object per user, the thread's preferences set only when present (no spread objects:
      // a dispatch job reads one per delivery).
      const contact: { -readonly [K in keyof Contact]: Contact[K] } = {
        email: u?.[1] ?? null,
        cell: u?.[2] ?? null,
        channels: u === undefined ? [] : strings(u[3]),
      };
      if (forThread !== undefined) contact.threadChannels = strings(forThread);
      out.set(uid, contact);
    }
    return out;
  };
  const profilesOf = (uids: readonly string[], tid: string | undefined): Map<string, Profile> => {
    const list = JSON.stringify(uids);
    const contacts = contactsOf(uids, list, tid);
    // Time zone and quiet hours too: local-time schedules and quiet hours apply to every page.
    const times = new Map<string, [string, string | null, string | null]>();
    for (const t of timesIn.all(list)) times.set(t[0], t);
    const devicesOf = new Map<string, { deviceId: string; channel: DeviceChannel }[]>();
    for (const [uid, deviceId, channel] of devicesIn.all(list)) {
      const mine = devicesOf.get(uid) ?? [];
      if (mine.length === 0) devicesOf.set(uid, mine);
      if (mine.length < LIMITS.devices) mine.push({ deviceId, channel });
    }
    const out = new Map<string, Profile>();
    for (const uid of uids) {
      const c = contacts.get(uid);
      const t = times.get(uid);
      out.set(uid, {
        ...(t?.[1] == null ? {} : { timezone: t[1] }),
        ...(t?.[2] == null ? {} : { quietHours: JSON.parse(t[2]) as QuietHours }),
        devices: devicesOf.get(uid) ?? [],
        email: c?.email ?? null,
        cell: c?.cell ?? null,
        channels: c?.channels ?? [],
        ...(c?.threadChannels === undefined ? {} : { threadChannels: c.threadChannels }),
      });
    }
    return out;
  };
  // One user's profile in one statement, not one per table (issue 15: a direct message's
  // recipient cost three or four point reads): a row per source, told apart by its first column:
  // 0 the contact points and channels, 1 the time preferences, 3 the thread's channels (none
  // without a thread: `tid = NULL` matches no row), 2 each device with its position, the newest
  // ones only (a plan's steps are bounded, schema/bounds.ts, and a user enlisted before the broker
  // capped devices per user may still have more), put newest first here (a compound's order is SQLite's).
  const profileRows = db
    .prepare<
      [string, string, string, string | null, string],
      [kind: 0 | 1 | 2 | 3, a: string | null, b: string | null, c: string | number | null]
    >(
      `SELECT 0, email, cell, channels FROM dir_users WHERE uid = ?
       UNION ALL SELECT 1, timezone, quiet, NULL FROM dir_user_time WHERE uid = ?
       UNION ALL SELECT 2, device_id, channel, position FROM
         (SELECT device_id, channel, position FROM dir_devices WHERE uid = ? ORDER BY position DESC LIMIT ${LIMITS.devices})
       UNION ALL SELECT 3, channels, NULL, NULL FROM dir_user_threads WHERE tid = ? AND uid = ?`,
    )
    .raw(true);
  const newestFirst = (a: readonly [string, DeviceChannel, number], b: readonly [string, DeviceChannel, number]) =>
    b[2] - a[2];
  const profileOf = (uid: string, tid: string | undefined): Profile => {
    let u: { email: string | null; cell: string | null; channels: string } | undefined;
    let t: { timezone: string | null; quiet: string | null } | undefined;
    let forThread: string | undefined;
    const found: [string, DeviceChannel, number][] = [];
    for (const [kind, a, b, c] of profileRows.all(uid, uid, uid, tid ?? null, uid))
      if (kind === 0) u = { email: a, cell: b, channels: c as string };
      else if (kind === 1) t = { timezone: a, quiet: b };
      else if (kind === 2) found.push([a as string, b as DeviceChannel, c as number]);
      else forThread = a as string;
    if (found.length > 1) found.sort(newestFirst);
    return {
      ...(t?.timezone == null ? {} : { timezone: t.timezone }),
      ...(t?.quiet == null ? {} : { quietHours: JSON.parse(t.quiet) as QuietHours }),
      devices: found.map(([deviceId, channel]) => ({ deviceId, channel })),
      email: u?.email ?? null,
      cell: u?.cell ?? null,
      channels: u === undefined ? [] : strings(u.channels),
      ...(forThread === undefined ? {} : { threadChannels: strings(forThread) }),
    };
  };
  return {
    message: (mid) => Promise.resolve(messageOf(mid)),
    messageState: (mid) => {
      const kept = stored?.get(mid);
      if (kept === undefined) return Promise.resolve(state.get(mid));
      const { audience } = kept.data;
      return Promise.resolve({ status: kept.status, tid: audience.kind === 'thread' ? audience.tid : null });
    },
    thread: (tid) => {
      const r = thread.get(tid);
      return Promise.resolve(
        r === undefined
          ? undefined
          : {
              channels: strings(r.channels),
              fallback: strings(r.fallback),
              ...(r.name === null ? {} : { name: r.name }),
            },
      );
    },
    profiles: (uids, tid) =>
      Promise.resolve(uids.length > 8 ? profilesOf(uids, tid) : new Map(uids.map((uid) => [uid, profileOf(uid, tid)]))),
    contacts: (uids, tid) => {
      if (uids.length > 8) return Promise.resolve(contactsOf(uids, JSON.stringify(uids), tid));
      const out = new Map<string, Contact>();
      for (const uid of uids) {
        const u = user.get(uid);
        const forThread = tid === undefined ? undefined : perThread.get(uid, tid);
        out.set(uid, {
          email: u?.email ?? null,
          cell: u?.cell ?? null,
          channels: u === undefined ? [] : strings(u.channels),
          ...(forThread === undefined ? {} : { threadChannels: strings(forThread) }),
        });
      }
      return Promise.resolve(out);
    },
    device: (uid, deviceId) => {
      const d = device.get(uid, deviceId);
      return Promise.resolve(d === undefined ? undefined : (JSON.parse(d) as Device));
    },
    devicesOf: (uids) => Promise.resolve(devicesOfMany(uids)),
    holders: (deviceId) => Promise.resolve(holders.all(deviceId, deviceId)),
    moves: (deviceId) =>
      Promise.resolve(moves.all(deviceId).map((m): DeviceMove => ({ uid: m.uid, deviceId, revision: m.revision }))),
    members: (tid, after, limit) => Promise.resolve(members.all(tid, after, limit)),
    known: (before, after, limit) => Promise.resolve(known.all(after, before, limit)),
    knownProfiles: (before, after, limit) => Promise.resolve(knownProfiles(before, after, limit)),
  };
};
