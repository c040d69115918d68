import type { Database } from 'better-sqlite3';
import { LIMITS } from '../../schema/bounds.js';
import type { Device } from '../../schema/devices.js';
import type { EventOf } from '../../schema/events.js';
import type { DeviceFact, PushChannel, ThreadChannels } from '../../domain/triage/types.js';

// Reads of the directory. Stored JSON was written from decoded events, so the casts restate
// what the codecs checked on the way in.
export type PublishedData = EventOf<'MessagePublished'>['data'];
export type MessageStatus = 'scheduled' | 'due' | 'published' | 'cancelled' | 'retracted';

export interface DirectoryMessage {
  readonly data: PublishedData;
  readonly position: number;
  readonly status: MessageStatus;
  readonly eventId: string;
  readonly correlationId: string;
}

export interface Profile {
  readonly devices: readonly DeviceFact[];
  readonly email: string | null;
  readonly cell: string | null;
  readonly channels: readonly string[];
  readonly threadChannels?: readonly string[];
}

export interface DirectoryQueries {
  message(mid: string): DirectoryMessage | undefined;
  /** Status and thread only: what every step checks, without the (possibly large) message. */
  messageState(mid: string): { readonly status: MessageStatus; readonly tid: string | null } | undefined;
  thread(tid: string): (ThreadChannels & { readonly name?: string }) | undefined;
  /** `tid`: the message's thread, whose per-thread preferences then apply. */
  profile(uid: string, tid?: string): Profile;
  device(uid: string, deviceId: string): Device | undefined;
  /** Subscribers of a thread after `after`, by uid. */
  members(tid: string, after: string, limit: number): string[];
  /** Users known before log position `before`, after `after`, by uid. */
  known(before: number, after: string, limit: number): string[];
}

const strings = (json: string): string[] => JSON.parse(json) as string[];

export const directoryQueries = (db: Database): DirectoryQueries => {
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
  const devices = db.prepare<[string], { device_id: string; channel: PushChannel }>(
    // The newest ones only: a plan's steps are bounded (schema/bounds.ts), and a user enlisted
    // before the broker capped devices per user may still have more.
    `SELECT device_id, channel FROM dir_devices WHERE uid = ? ORDER BY position DESC LIMIT ${LIMITS.devices}`,
  );
  const device = db
    .prepare<[string, string], string>('SELECT device FROM dir_devices WHERE uid = ? AND device_id = ?')
    .pluck();
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

  return {
    message: (mid) => {
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
    },
    messageState: (mid) => state.get(mid),
    thread: (tid) => {
      const r = thread.get(tid);
      return r === undefined
        ? undefined
        : {
            channels: strings(r.channels),
            fallback: strings(r.fallback),
            ...(r.name === null ? {} : { name: r.name }),
          };
    },
    profile: (uid, tid) => {
      const u = user.get(uid);
      const forThread = tid === undefined ? undefined : perThread.get(uid, tid);
      return {
        devices: devices.all(uid).map((d) => ({ deviceId: d.device_id, channel: d.channel })),
        email: u?.email ?? null,
        cell: u?.cell ?? null,
        channels: u === undefined ? [] : strings(u.channels),
        ...(forThread === undefined ? {} : { threadChannels: strings(forThread) }),
      };
    },
    device: (uid, deviceId) => {
      const d = device.get(uid, deviceId);
      return d === undefined ? undefined : (JSON.parse(d) as Device);
    },
    members: (tid, after, limit) => members.all(tid, after, limit),
    known: (before, after, limit) => known.all(after, before, limit),
  };
};
