import * as t from 'io-ts';

// The three device shapes msgxc's enlist accepted, kept verbatim as the seeds send them.
export const NativeDevice = t.type({
  os: t.union([t.literal('ios'), t.literal('android')]),
  token: t.refinement(t.string, (s) => s.length > 0 && s.length <= 4096, 'DeviceToken'),
}, 'NativeDevice');

export const WebPushSubscription = t.intersection([
  t.type({
    endpoint: t.refinement(t.string, (s) => /^https?:\/\/\S+$/.test(s) && s.length <= 2048, 'HttpsUrl'),
    keys: t.type({
      p256dh: t.refinement(t.string, (s) => s.length > 0 && s.length <= 256, 'p256dh'),
      auth: t.refinement(t.string, (s) => s.length > 0 && s.length <= 64, 'auth'),
    }),
  }),
  t.partial({ expirationTime: t.union([t.number, t.null]) }),
], 'WebPushSubscription');

export const Device = t.union([NativeDevice, WebPushSubscription], 'Device');
export type Device = t.TypeOf<typeof Device>;

export type DeviceChannel = 'apns' | 'fcm' | 'webpush';
export const deviceChannel = (d: Device): DeviceChannel =>
  'os' in d ? (d.os === 'ios' ? 'apns' : 'fcm') : 'webpush';
