import type { Database } from 'better-sqlite3';
import { deviceChannel } from '../../schema/devices.js';
import type { DomainEvent } from '../../schema/events.js';
import { timerStatements } from '../timers/timers.js';
import type { FoldContext } from './fold-context.js';

// The triage reactor's fold: the recipients' devices, contact points and preferences, the
// threads' channel lists and subscribers, and the messages themselves. Every write is an
// upsert or a guarded update, so a redelivered event changes nothing.
export type DirectoryFold = (event: DomainEvent, at: FoldContext) => void;

export const directoryFold = (db: Database): DirectoryFold => {
  const timers = timerStatements(db);
  const known = db.prepare<[string, number]>(
    `INSERT INTO dir_users (uid, first_position) VALUES (?, ?)
     ON CONFLICT (uid) DO UPDATE SET first_position = MIN(coalesce(first_position, excluded.first_position), excluded.first_position)`,
  );
  const profile = db.prepare<[string]>('INSERT OR IGNORE INTO dir_users (uid) VALUES (?)');
  const email = db.prepare<[string | null, string]>('UPDATE dir_users SET email = ? WHERE uid = ?');
  const cell = db.prepare<[string | null, string]>('UPDATE dir_users SET cell = ? WHERE uid = ?');
  const channels = db.prepare<[string, string]>('UPDATE dir_users SET channels = ? WHERE uid = ?');
  const threadChannels = db.prepare<[string, string, string]>(
    'INSERT INTO dir_user_threads (uid, tid, channels) VALUES (?, ?, ?) ON CONFLICT (uid, tid) DO UPDATE SET channels = excluded.channels',
  );
  const enlist = db.prepare<[string, string, string, string, number]>(
    `INSERT INTO dir_devices (uid, device_id, channel, device, position) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (uid, device_id) DO UPDATE SET channel = excluded.channel, device = excluded.device, position = excluded.position
     WHERE excluded.position > position`,
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
  // A cancel or retraction is final; 'due' only follows 'scheduled'.
  const due = db.prepare<[string]>(`UPDATE dir_messages SET status = 'due' WHERE mid = ? AND status = 'scheduled'`);
  const end = db.prepare<[string, string]>(
    `UPDATE dir_messages SET status = ? WHERE mid = ? AND status IN ('scheduled', 'due', 'published')`,
  );

  return (e, at) => {
    switch (e.type) {
      case 'UserRecognized':
        known.run(e.data.uid, at.position);
        return;
      case 'DeviceEnlisted':
        known.run(e.data.uid, at.position);
        enlist.run(
          e.data.uid,
          e.data.deviceId,
          deviceChannel(e.data.device),
          JSON.stringify(e.data.device),
          at.position,
        );
        return;
      case 'DeviceRevoked':
        revoke.run(e.data.uid, e.data.deviceId, at.position);
        return;
      case 'ContactPointsChanged':
        profile.run(e.data.uid);
        if (e.data.email !== undefined) email.run(e.data.email, e.data.uid);
        if (e.data.cell !== undefined) cell.run(e.data.cell, e.data.uid);
        return;
      case 'ChannelPreferencesChanged':
        if (e.data.tid !== undefined) {
          threadChannels.run(e.data.uid, e.data.tid, JSON.stringify(e.data.channels));
          return;
        }
        profile.run(e.data.uid);
        channels.run(JSON.stringify(e.data.channels), e.data.uid);
        return;
      case 'ThreadCreated':
        thread.run(
          e.data.tid,
          e.data.name ?? null,
          JSON.stringify(e.data.channels ?? []),
          JSON.stringify(e.data.fallback ?? []),
        );
        return;
      case 'ThreadMemberAdded':
        if (e.data.role === 'subscriber') join.run(e.data.tid, e.data.uid);
        return;
      case 'ThreadMemberRemoved':
        if (e.data.role === 'subscriber') leave.run(e.data.tid, e.data.uid);
        return;
      case 'MessagePublished': {
        const d = e.data;
        if (d.audience.kind === 'user') known.run(d.audience.uid, at.position);
        if (d.audience.kind === 'users') for (const uid of d.audience.uids) known.run(uid, at.position);
        const tid = d.audience.kind === 'thread' ? d.audience.tid : null;
        message.run(
          d.mid,
          at.position,
          d.scheduled === undefined ? 'published' : 'scheduled',
          tid,
          JSON.stringify(d),
          at.eventId,
          at.correlationId,
        );
        if (d.scheduled !== undefined) timers.set('publish', d.mid, Date.parse(d.scheduled));
        return;
      }
      case 'MessageDue':
        due.run(e.data.mid);
        timers.clear('publish', e.data.mid);
        return;
      case 'MessageCancelled':
        end.run('cancelled', e.data.mid);
        timers.clear('publish', e.data.mid);
        return;
      case 'MessageRetracted':
        end.run('retracted', e.data.mid);
        timers.clear('publish', e.data.mid);
        return;
      default:
        return;
    }
  };
};
