import type { ChannelConfig } from '../../schema/channels.js';
import type { ChannelKind } from '../../ports/channel.js';

// What the channel adapters derive from their configuration: the secrets to scrub from any
// error text before it leaves an adapter, and which provider serves each channel (for logs).
const urlPassword = (u: string): string[] => {
  try {
    const p = new URL(u).password;
    return p === '' ? [] : [p, decodeURIComponent(p)];
  } catch {
    return [];
  }
};

/** Every secret value in the configuration, for scrubbing error text before it leaves an adapter. */
export const channelSecrets = (c: ChannelConfig): string[] =>
  [
    ...(c.webpush ? [c.webpush.privateKey] : []),
    ...(c.fcm
      ? [
          c.fcm.serviceAccount.private_key,
          ...(c.fcm.serviceAccount.private_key_id !== undefined ? [c.fcm.serviceAccount.private_key_id] : []),
        ]
      : []),
    ...(c.apns ? [c.apns.key] : []),
    ...(c.email?.provider === 'sendgrid'
      ? [c.email.apiKey]
      : c.email?.provider === 'smtp'
        ? urlPassword(c.email.url)
        : []),
    ...(c.sms ? [c.sms.authToken, Buffer.from(`${c.sms.accountSid}:${c.sms.authToken}`).toString('base64')] : []),
    ...(c.mqtt ? urlPassword(c.mqtt.url) : []),
    ...(c.mqtt?.password !== undefined ? [c.mqtt.password] : []),
    ...(c.mqtt?.key !== undefined ? [c.mqtt.key] : []),
  ].filter((s) => s.length >= 4);

/** Which provider serves each channel; safe to log. */
export const describeChannelConfig = (c: ChannelConfig): Record<ChannelKind, string> => ({
  webpush: c.webpush ? 'web-push' : 'outbox',
  fcm: c.fcm ? 'fcm' : 'outbox',
  apns: c.apns ? `apns${c.apns.production ? '' : ' (sandbox)'}` : 'outbox',
  email: c.email?.provider ?? 'outbox',
  sms: c.sms ? 'twilio' : 'outbox',
  mqtt: c.mqtt ? 'mqtt' : 'outbox',
});
