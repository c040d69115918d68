import * as t from 'io-ts';
import { LIMITS, isTimeMs, jsonNumber } from './bounds.js';
import { keepsUnknownKeys } from './unknown-keys.js';

// The three device shapes msgxc's enlist accepted, kept verbatim as the seeds send them.
// Exact codecs: fields the broker does not know are dropped, not stored (a device is
// stored whole, so an extra field would be an unbounded stored field). /api/v2/enlist refuses
// them before that on a native device (schema/unknown-keys.ts); a web push subscription is the
// browser's `PushSubscription.toJSON()`, whose members the Push API may extend, so its unknown
// keys are dropped on every route, as /api/v1/native/subscribe drops any.
const visible = (max: number, name: string) =>
  t.refinement(t.string, (s) => s.length > 0 && s.length <= max && /^[\x21-\x7e]+$/.test(s), name);

export const NativeDevice = t.exact(
  t.type({
    os: t.union([t.literal('ios'), t.literal('android')]),
    token: visible(LIMITS.deviceToken, `DeviceToken (1..${LIMITS.deviceToken} visible ASCII characters)`),
  }),
  'NativeDevice',
);

// The endpoint's shape is bounded here; whether it names an allowed push service is a rule of
// the deployment (schema/push-endpoint.ts, checked when a device is enlisted and when sent to).
export const WebPushSubscription = keepsUnknownKeys(
  t.exact(
    t.intersection([
      t.type({
        endpoint: t.refinement(
          t.string,
          (s) => s.length <= LIMITS.endpoint && /^https?:\/\/\S+$/.test(s),
          `URL of at most ${LIMITS.endpoint} characters`,
        ),
        keys: t.exact(
          t.type({
            p256dh: visible(256, 'p256dh (1..256 base64url characters)'),
            auth: visible(64, 'auth (1..64 base64url characters)'),
          }),
        ),
      }),
      t.partial({
        expirationTime: t.union([jsonNumber('epoch milliseconds between 1970 and 9999', isTimeMs), t.null]),
      }),
    ]),
    'WebPushSubscription',
  ),
);

export const Device = t.union([NativeDevice, WebPushSubscription], 'Device');
export type Device = t.TypeOf<typeof Device>;

export type DeviceChannel = 'apns' | 'fcm' | 'webpush';
export const deviceChannel = (d: Device): DeviceChannel => ('os' in d ? (d.os === 'ios' ? 'apns' : 'fcm') : 'webpush');
