import type { Message } from 'firebase-admin/messaging';
import { collapseKey, dataOf, slugOf, ttlSeconds } from './content.js';
import type { Delivery, FcmRecipient } from '../../ports/channel.js';
import { countOf, leadOf } from './outcome.js';

// Our content -> an FCM v1 message: a notification (title, body) plus a data payload of
// strings (FCM's rule) carrying the message id, the deep link and `opts.data`; Android
// priority high for normal and high urgency, normal for low and very low (as RFC 8030's
// levels suggest); TTL from `opts.ttl` (24 h by default, as msgxc had it); collapse key.

// Keys FCM refuses in `data`, and prefixes it reserves.
const RESERVED = new Set(['from', 'notification', 'message_type', 'collapse_key']);
const reserved = (k: string): boolean => RESERVED.has(k) || k.startsWith('google') || k.startsWith('gcm');

export const fcmData = (d: Delivery<FcmRecipient>, receipt?: string): Record<string, string> => {
  const m = leadOf(d.content);
  const count = countOf(d.content);
  const app = Object.entries(dataOf(m))
    .filter(([k]) => !reserved(k))
    .map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)] as const);
  return {
    ...Object.fromEntries(app),
    mid: m.mid,
    slug: slugOf(m),
    ...(m.tid !== undefined ? { tid: m.tid } : {}),
    ...(count > 1 ? { count: String(count) } : {}),
    ...(receipt !== undefined ? { receipt } : {}),
  };
};

/** `receipt`: the token the app posts back without a session (adapters/channels/receipts.ts). */
export const fcmMessage = (d: Delivery<FcmRecipient>, receipt?: string): Message => {
  const m = leadOf(d.content);
  const collapse = collapseKey(m);
  const title = m.subject ?? m.threadName;
  return {
    token: d.to.token,
    notification: { ...(title !== undefined ? { title } : {}), body: m.msg },
    data: fcmData(d, receipt),
    android: {
      priority: m.urgency >= 3 ? 'high' : 'normal',
      ttl: ttlSeconds(m) * 1000,
      ...(collapse !== undefined ? { collapseKey: collapse } : {}),
    },
  };
};
