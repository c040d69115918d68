import type { Database } from 'better-sqlite3';
import type { Device, DeviceChannel } from '../../schema/devices.js';
import type { DeviceView } from '../../ports/read-models.js';

interface Row {
  device_id: string;
  channel: string;
  device: string;
  enlisted_at: string;
}

export const deviceQueries = (db: Database): { devicesByUser(uid: string): DeviceView[] } => {
  const byUser = db.prepare<[string], Row>(
    'SELECT device_id, channel, device, enlisted_at FROM devices WHERE uid = ? ORDER BY position DESC',
  );
  return {
    // Rows were written from decoded events, so the stored JSON is a Device by construction.
    devicesByUser: (uid) =>
      byUser.all(uid).map((r) => ({
        deviceId: r.device_id,
        channel: r.channel as DeviceChannel,
        device: JSON.parse(r.device) as Device,
        enlistedAt: r.enlisted_at,
      })),
  };
};
