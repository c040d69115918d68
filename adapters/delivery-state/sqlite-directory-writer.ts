import type { Database } from 'better-sqlite3';
import type { DirectoryChange } from '../../schema/delivery-state.js';
import { ERASED_TEXT } from '../../schema/personal.js';
import { deviceChannel } from '../../schema/devices.js';
import type { StoredMessages } from './sqlite-stored-messages.js';

// The directory's writes in SQLite (its reads: sqlite-directory.ts): the changes the directory
// fold computes (domain/delivery/directory.ts), each an upsert or a guarded update.

/** Applies directory changes; call inside the commit's transaction. */
export const directoryWriter = (db: Database, stored?: StoredMessages): ((c: DirectoryChange) => void) => {
  // Only when it moves the position earlier (or sets it): every message to a known user folds a
  // `user-known`, and an update that changed nothing still rewrote the row (a page into the WAL).
  const known = db.prepare<[string, number]>(
    `INSERT INTO dir_users (uid, first_position) VALUES (?, ?)
     ON CONFLICT (uid) DO UPDATE SET first_position = excluded.first_position
     WHERE first_position IS NULL OR excluded.first_position < first_position`,
  );
  const profile = db.prepare<[string]>('INSERT OR IGNORE INTO dir_users (uid) VALUES (?)');
  const email = db.prepare<[string | null, string]>('UPDATE dir_users SET email = ? WHERE uid = ?');
  const cell = db.prepare<[string | null, string]>('UPDATE dir_users SET cell = ? WHERE uid = ?');
  const channels = db.prepare<[string, string]>('UPDATE dir_users SET channels = ? WHERE uid = ?');
  const timeRow = db.prepare<[string]>('INSERT OR IGNORE INTO dir_user_time (uid) VALUES (?)');
  const timezone = db.prepare<[string | null, string]>('UPDATE dir_user_time SET timezone = ? WHERE uid = ?');
  const quiet = db.prepare<[string | null, string]>('UPDATE dir_user_time SET quiet = ? WHERE uid = ?');
  const threadChannels = db.prepare<[string, string, string]>(
    'INSERT INTO dir_user_threads (uid, tid, channels) VALUES (?, ?, ?) ON CONFLICT (uid, tid) DO UPDATE SET channels = excluded.channels',
  );
  // A device belongs to one user at a time: enlisting it takes it from the users who enlisted it
  // earlier (their enlistments wait in dir_device_moves for their revocation, delivery/moves.ts),
  // and is itself void if another user enlisted it later. Named parameters: each is used twice.
  const enlist = db.prepare<{
    uid: string;
    deviceId: string;
    channel: string;
    device: string;
    position: number;
    revision: number;
  }>(
    `INSERT INTO dir_devices (uid, device_id, channel, device, position, revision)
     SELECT :uid, :deviceId, :channel, :device, :position, :revision
     WHERE NOT EXISTS (SELECT 1 FROM dir_devices WHERE device_id = :deviceId AND uid <> :uid AND position > :position)
     ON CONFLICT (uid, device_id) DO UPDATE SET channel = excluded.channel, device = excluded.device,
       position = excluded.position, revision = excluded.revision
     WHERE excluded.position > position`,
  );
  const moveOut = db.prepare<{ uid: string; deviceId: string; position: number }>(
    `INSERT INTO dir_device_moves (uid, device_id, position, revision)
     SELECT uid, device_id, position, revision FROM dir_devices WHERE device_id = :deviceId AND uid <> :uid AND position < :position
     ON CONFLICT (uid, device_id) DO UPDATE SET position = excluded.position, revision = excluded.revision
     WHERE excluded.position > position`,
  );
  const movedOut = db.prepare<{ uid: string; deviceId: string; position: number }>(
    'DELETE FROM dir_devices WHERE device_id = :deviceId AND uid <> :uid AND position < :position',
  );
  const unmove = db.prepare<[string, string, number]>(
    'DELETE FROM dir_device_moves WHERE uid = ? AND device_id = ? AND position < ?',
  );
  const revoke = db.prepare<[string, string, number]>(
    'DELETE FROM dir_devices WHERE uid = ? AND device_id = ? AND position < ?',
  );
  const thread = db.prepare<[string, string | null, string, string]>(
    'INSERT OR IGNORE INTO dir_threads (tid, name, channels, fallback) VALUES (?, ?, ?, ?)',
  );
  const join = db.prepare<[string, string]>('INSERT OR IGNORE INTO dir_members (tid, uid) VALUES (?, ?)');
  const leave = db.prepare<[string, string]>('DELETE FROM dir_members WHERE tid = ? AND uid = ?');
  const message = db.prepare<[string, number, string, string | null, string, string, string]>(
    'INSERT OR IGNORE INTO dir_messages (mid, position, status, tid, data, event_id, correlation) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const status = db.prepare<[string, string, string]>(
    `UPDATE dir_messages SET status = ? WHERE mid = ? AND status IN (SELECT value FROM json_each(?))`,
  );

  // Devices enlisted again after the erasure (a later position) stay.
  const forgetDevices = db.prepare<[string, number]>('DELETE FROM dir_devices WHERE uid = ? AND position < ?');
  const forgetMoves = db.prepare<[string, number]>('DELETE FROM dir_device_moves WHERE uid = ? AND position < ?');
  // Time zone and quiet hours go with the erasure (a later TimePreferencesChanged writes a new row).
  const forgetTime = db.prepare<[string]>('DELETE FROM dir_user_time WHERE uid = ?');
  // Plain `?` in order: better-sqlite3 refuses an array for numbered parameters (`?1`).
  const blankMessages = db.prepare<[string, string]>(
    `UPDATE dir_messages SET data = json_remove(json_set(data, '$.msg', ?, '$.opts', json('{}')), '$.subject')
     WHERE json_extract(data, '$.audience.kind') = 'user' AND json_extract(data, '$.audience.uid') = ?`,
  );
  return (c) => {
    switch (c.type) {
      case 'user-known':
        known.run(c.uid, c.position);
        return;
      case 'contact':
        profile.run(c.uid);
        if (c.email !== undefined) email.run(c.email, c.uid);
        if (c.cell !== undefined) cell.run(c.cell, c.uid);
        return;
      case 'channels':
        profile.run(c.uid);
        channels.run(JSON.stringify(c.channels), c.uid);
        return;
      case 'time-preferences':
        timeRow.run(c.uid);
        if (c.timezone !== undefined) timezone.run(c.timezone, c.uid);
        if (c.quietHours !== undefined) quiet.run(c.quietHours === null ? null : JSON.stringify(c.quietHours), c.uid);
        return;
      case 'thread-channels':
        threadChannels.run(c.uid, c.tid, JSON.stringify(c.channels));
        return;
      case 'device-enlisted': {
        const at = { uid: c.uid, deviceId: c.deviceId, position: c.position };
        unmove.run(c.uid, c.deviceId, c.position);
        moveOut.run(at);
        movedOut.run(at);
        enlist.run({
          ...at,
          channel: deviceChannel(c.device),
          device: JSON.stringify(c.device),
          revision: c.revision,
        });
        return;
      }
      case 'device-revoked':
        revoke.run(c.uid, c.deviceId, c.position);
        unmove.run(c.uid, c.deviceId, c.position);
        return;
      case 'thread-created':
        thread.run(c.tid, c.name, JSON.stringify(c.channels), JSON.stringify(c.fallback));
        return;
      case 'member-joined':
        join.run(c.tid, c.uid);
        return;
      case 'member-left':
        leave.run(c.tid, c.uid);
        return;
      case 'message-published': {
        const m = c.message;
        const a = m.data.audience;
        const inserted = message.run(
          m.data.mid,
          m.position,
          m.status,
          a.kind === 'thread' ? a.tid : null,
          JSON.stringify(m.data),
          m.eventId,
          m.correlationId,
        );
        if (inserted.changes > 0) stored?.stored(m);
        return;
      }
      case 'message-status':
        status.run(c.status, c.mid, JSON.stringify(c.from));
        stored?.changed(c.mid);
        return;
      case 'user-erased':
        forgetDevices.run(c.uid, c.position);
        forgetMoves.run(c.uid, c.position);
        email.run(null, c.uid);
        cell.run(null, c.uid);
        forgetTime.run(c.uid);
        blankMessages.run(ERASED_TEXT, c.uid);
        stored?.erased(c.uid);
        return;
      default: {
        const unhandled: never = c;
        return unhandled;
      }
    }
  };
};
