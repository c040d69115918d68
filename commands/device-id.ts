import { createHash } from 'node:crypto';
import { deviceChannel } from '../schema/devices.js';
import type { Device } from '../schema/devices.js';
import { asDeviceId } from '../schema/ids.js';
import type { DeviceId } from '../schema/ids.js';

// Stable across enlistments of the same token or endpoint, so enlisting again replaces the
// old entry; hashed so device ids can appear in logs and URLs without exposing the token.
export const deviceIdOf = (device: Device): DeviceId => {
  const address = 'os' in device ? device.token : device.endpoint;
  return asDeviceId(
    createHash('sha256')
      .update(`${deviceChannel(device)}\n${address}`)
      .digest('hex')
      .slice(0, 32),
  );
};
