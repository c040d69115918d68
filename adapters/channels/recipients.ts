import type { Device } from '../../schema/devices.js';
import type { ApnsRecipient, FcmRecipient, WebPushRecipient } from '../../ports/channel.js';

// The recipient a channel needs for an enlisted device (the seeds' three shapes), so that
// dispatch can go from the devices read model to Channel.deliver without knowing providers.
export const deviceRecipient = (
  uid: string,
  deviceId: string,
  device: Device,
): WebPushRecipient | FcmRecipient | ApnsRecipient =>
  'os' in device
    ? device.os === 'ios'
      ? { channel: 'apns', uid, deviceId, token: device.token }
      : { channel: 'fcm', uid, deviceId, token: device.token }
    : { channel: 'webpush', uid, deviceId, subscription: device };
