import fc from 'fast-check';
import type { DeviceFact } from '../../../domain/triage/types.js';

// Generators the triage property tests share: channel names, preference lists (`~name` opts
// out) over them, and push devices.
export const channelNames = (withMqtt: boolean) =>
  fc.constantFrom(
    ...['websocket', 'apns', 'fcm', 'webpush', 'email', 'sms', ...(withMqtt ? ['mqtt'] : []), 'push', 'native'],
  );

export const prefsOver = (channelName: fc.Arbitrary<string>) =>
  fc.array(
    fc.tuple(fc.boolean(), channelName).map(([out, c]) => (out ? `~${c}` : c)),
    { maxLength: 4 },
  );

export const device = fc
  .tuple(fc.constantFrom('apns', 'fcm', 'webpush'), fc.integer({ min: 0, max: 9 }))
  .map(([channel, n]): DeviceFact => ({ channel, deviceId: `${channel}-${n}` }));
