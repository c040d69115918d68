import { deviceChannel } from '../../schema/devices.js';
import type { SqliteProjection } from '../projection.js';

// A user's devices, newest enlistment first (push tries them in that order). Re-enlisting a
// device moves it to the front by taking the newer position.
const ddl = [
  `CREATE TABLE IF NOT EXISTS devices (
     uid TEXT NOT NULL,
     device_id TEXT NOT NULL,
     channel TEXT NOT NULL,
     device TEXT NOT NULL,
     enlisted_at TEXT NOT NULL,
     position INTEGER NOT NULL,
     PRIMARY KEY (uid, device_id)
   ) WITHOUT ROWID`,
  'CREATE INDEX IF NOT EXISTS devices_by_user ON devices (uid, position)',
];

export const devicesProjection: SqliteProjection = {
  name: 'devices',
  tables: ['devices'],
  ddl,
  prepare: (db) => {
    // The position guards make a stale redelivery a no-op instead of a step back in time.
    const enlist = db.prepare<[string, string, string, string, string, number]>(
      `INSERT INTO devices (uid, device_id, channel, device, enlisted_at, position) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (uid, device_id) DO UPDATE SET
         channel = excluded.channel, device = excluded.device, enlisted_at = excluded.enlisted_at, position = excluded.position
       WHERE excluded.position > position`,
    );
    const revoke = db.prepare<[string, string, number]>(
      'DELETE FROM devices WHERE uid = ? AND device_id = ? AND position < ?',
    );
    const forget = db.prepare<[string, number]>('DELETE FROM devices WHERE uid = ? AND position < ?');
    return {
      UserErased: (e, at) => {
        forget.run(e.uid, at.position);
      },
      DeviceEnlisted: (e, at) => {
        enlist.run(e.uid, e.deviceId, deviceChannel(e.device), JSON.stringify(e.device), at.occurredAt, at.position);
      },
      DeviceRevoked: (e, at) => {
        revoke.run(e.uid, e.deviceId, at.position);
      },
    };
  },
};
