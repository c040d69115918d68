import type { Device, DeviceChannel } from '../../schema/devices.js';
import { deviceChannel } from '../../schema/devices.js';
import type { CassandraDb } from '../cassandra-db.js';
import { lastWins, long, num, str } from '../cassandra-db.js';
import type { CassandraProjection } from '../cassandra-projection.js';
import type { DeviceView } from '../../ports/read-models.js';

// A user's devices in one partition (uid), one row per device. Enlisting writes the whole row
// at its position's timestamp and revoking deletes it at its own, so a re-enlist after a
// revoke wins and a stale redelivery loses, like SQLite's position guards. The newest-first
// order is a sort of a handful of rows in the client: clustering by position would need a
// read to delete the row a re-enlist moves.
export const devicesCassandra: CassandraProjection = {
  name: 'devices',
  tables: ['devices_by_user'],
  prepare: (db) => {
    const enlist = `INSERT INTO ${db.t('devices_by_user')} (uid, device_id, channel, device, enlisted_at, position)
      VALUES (?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`;
    const revoke = `DELETE FROM ${db.t('devices_by_user')} USING TIMESTAMP ? WHERE uid = ? AND device_id = ?`;
    const forget = `DELETE FROM ${db.t('devices_by_user')} USING TIMESTAMP ? WHERE uid = ?`;
    return {
      // A partition delete at the erasure's position: devices enlisted after it (later timestamps) stay.
      UserErased: (e, at) => [
        { cql: forget, params: [lastWins(at.position), e.uid], partition: `devices_by_user:${e.uid}` },
      ],
      DeviceEnlisted: (e, at) => [
        {
          cql: enlist,
          params: [
            e.uid,
            e.deviceId,
            deviceChannel(e.device),
            JSON.stringify(e.device),
            at.occurredAt,
            long(at.position),
            lastWins(at.position),
          ],
          partition: `devices_by_user:${e.uid}`,
        },
      ],
      DeviceRevoked: (e, at) => [
        { cql: revoke, params: [lastWins(at.position), e.uid, e.deviceId], partition: `devices_by_user:${e.uid}` },
      ],
    };
  },
};

export const cassandraDeviceQueries = (db: CassandraDb): { devicesByUser(uid: string): Promise<DeviceView[]> } => {
  const byUser = `SELECT device_id, channel, device, enlisted_at, position FROM ${db.t('devices_by_user')} WHERE uid = ?`;
  return {
    devicesByUser: async (uid) => {
      const rows = await db.read(byUser, [uid]);
      return [...rows]
        .sort((a, b) => num(b.position) - num(a.position))
        .map((r) => ({
          deviceId: str(r.device_id),
          // Rows were written from decoded events, so the stored JSON is a Device by construction.
          channel: str(r.channel) as DeviceChannel,
          device: JSON.parse(str(r.device)) as Device,
          enlistedAt: str(r.enlisted_at),
        }));
    },
  };
};
