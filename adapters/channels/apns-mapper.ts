import type { JsonObject } from '../../schema/json.js';
import { collapseKey, dataOf, optInt, optString, slugOf, ttlSeconds } from './content.js';
import type { Content } from '../../ports/channel.js';
import { countOf, leadOf } from './outcome.js';

// Our content -> an APNs request: the apns-* headers (priority 10 for normal and high
// urgency, 5 for low, so the device may wait for a good moment; expiry from the TTL;
// collapse id), and the payload with `aps` plus the message id, deep link and `opts.data`,
// as msgxc's APNs sender put `opts.data` in the payload.
export interface ApnsRequest {
  readonly topic: string;
  readonly pushType: 'alert';
  readonly priority: 10 | 5;
  /** UNIX seconds after which APNs stops trying; 0 means "now or never". */
  readonly expiry: number;
  readonly collapseId?: string;
  readonly threadId?: string;
  readonly alert: { readonly title?: string; readonly body: string };
  readonly badge?: number;
  readonly sound: string;
  readonly payload: JsonObject;
}

/** `receipt`: the token the app posts back without a session (adapters/channels/receipts.ts). */
export const apnsRequest = (content: Content, bundleId: string, nowMs: number, receipt?: string): ApnsRequest => {
  const m = leadOf(content);
  const ttl = ttlSeconds(m);
  const collapse = collapseKey(m);
  const title = m.subject ?? m.threadName;
  const badge = optInt(m.opts, 'badge');
  const count = countOf(content);
  return {
    topic: bundleId,
    pushType: 'alert',
    priority: m.urgency >= 3 ? 10 : 5,
    expiry: ttl === 0 ? 0 : Math.floor(nowMs / 1000) + ttl,
    ...(collapse !== undefined ? { collapseId: collapse } : {}),
    ...(m.tid !== undefined ? { threadId: m.tid } : {}),
    alert: { ...(title !== undefined ? { title } : {}), body: m.msg },
    ...(badge !== undefined && badge >= 0 ? { badge } : {}),
    sound: optString(m.opts, 'sound') ?? 'default',
    payload: {
      mid: m.mid,
      slug: slugOf(m),
      ...(count > 1 ? { count } : {}),
      data: dataOf(m),
      ...(receipt !== undefined ? { receipt } : {}),
    },
  };
};
