import type { ChannelConfig } from '../../schema/channels.js';
import type { JsonValue } from '../../schema/json.js';
import { apnsRequest } from './apns-mapper.js';
import { emailFor } from './email-mapper.js';
import { fcmMessage } from './fcm-mapper.js';
import { mqttPayload, mqttTopic } from './mqtt-mapper.js';
import type { OutboxRender } from './outbox.js';
import type {
  ApnsRecipient,
  EmailRecipient,
  FcmRecipient,
  MqttRecipient,
  SmsRecipient,
  WebPushRecipient,
} from '../../ports/channel.js';
import { smsText } from './sms-mapper.js';
import { webPushRequest } from './webpush-mapper.js';
import { receiptOf, type ReceiptSigner } from './receipts.js';

// How each channel's outbox shows a delivery: the request its mapper builds for the real
// provider, with device tokens, numbers and addresses partly masked (the outbox is an admin
// view, not a copy of the user's contact points). Provider-specific settings that are not
// configured (sender address, bundle id) show as placeholders.
const mask = (s: string, keep = 6): string => (s.length <= keep ? '…' : `…${s.slice(-keep)}`);
const maskEmail = (a: string): string => {
  const at = a.lastIndexOf('@');
  return at <= 0 ? mask(a, 4) : `${a.slice(0, 1)}…${a.slice(at)}`;
};
const json = (v: unknown): JsonValue => JSON.parse(JSON.stringify(v)) as JsonValue;

export const outboxRenderers = (c: ChannelConfig, now: () => number, receipts?: ReceiptSigner) => ({
  webpush: ((d) => {
    const r = webPushRequest(d.content, receiptOf(receipts, d));
    let origin = 'invalid endpoint';
    try {
      origin = new URL(d.to.subscription.endpoint).origin;
    } catch {
      /* shown as invalid */
    }
    return {
      to: `${origin}/${mask(d.to.subscription.endpoint)}`,
      payload: json({
        headers: { TTL: r.ttl, Urgency: r.urgency, ...(r.topic !== undefined ? { Topic: r.topic } : {}) },
        payload: r.payload,
      }),
    };
  }) satisfies OutboxRender<WebPushRecipient>,
  fcm: ((d) => ({
    to: mask(d.to.token),
    payload: json({ ...fcmMessage(d, receiptOf(receipts, d)), token: mask(d.to.token) }),
  })) satisfies OutboxRender<FcmRecipient>,
  apns: ((d) => ({
    to: mask(d.to.token),
    payload: json(apnsRequest(d.content, c.apns?.bundleId ?? '(MSGXC_APNS_BUNDLE_ID)', now(), receiptOf(receipts, d))),
  })) satisfies OutboxRender<ApnsRecipient>,
  email: ((d) => {
    const m = emailFor(d, {
      from: c.email?.from ?? '(MSGXC_SENDGRID_FROM)',
      templates: c.settings.emailTemplates,
      ...(c.settings.linkBase !== undefined ? { linkBase: c.settings.linkBase } : {}),
    });
    return {
      to: maskEmail(d.to.address),
      payload: json({ from: m.from, to: maskEmail(m.to.email), subject: m.subject, text: m.text, html: m.html }),
    };
  }) satisfies OutboxRender<EmailRecipient>,
  sms: ((d) => ({
    to: mask(d.to.number, 4),
    payload: json({
      from: c.sms?.from ?? '(MSGXC_TWILIO_FROM)',
      body: smsText(d.content, c.settings.smsMaxLength, c.settings.linkBase),
    }),
  })) satisfies OutboxRender<SmsRecipient>,
  mqtt: ((d) => {
    const topic = mqttTopic(c.mqtt?.topicBase ?? 'msgxc', d.to);
    return {
      to: topic,
      payload: json({
        topic,
        qos: c.mqtt?.qos ?? 1,
        retain: c.mqtt?.retain ?? false,
        payload: mqttPayload(d.content, d.to),
      }),
    };
  }) satisfies OutboxRender<MqttRecipient>,
});
