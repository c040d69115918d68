import { createHash } from 'node:crypto';
import type { WebPushPayload } from '../../schema/channels.js';
import { collapseKey, slugOf, ttlSeconds, urgencyName, type UrgencyName } from './content.js';
import type { Content } from '../../ports/channel.js';
import { countOf, leadOf } from './outcome.js';

// Our content -> what web-push sends: the JSON payload the service worker reads (msgxc's
// {msg, opts, slug} plus mid), and the RFC 8030 headers TTL, Urgency and Topic.
export interface WebPushRequest {
  readonly payload: WebPushPayload;
  readonly body: string;
  readonly ttl: number;
  readonly urgency: UrgencyName;
  readonly topic?: string;
}

// Push services accept 4096 bytes of encrypted body; aes128gcm spends 86 on its header, 1 on
// the padding delimiter and 16 on the tag, which leaves 3993 bytes of JSON.
export const MAX_PAYLOAD_BYTES = 3993;

/** RFC 8030 Topic: at most 32 URL-safe base64 characters; other collapse keys are hashed into one. */
export const topicOf = (collapse: string): string =>
  /^[A-Za-z0-9_-]{1,32}$/.test(collapse)
    ? collapse
    : createHash('sha256').update(collapse).digest('base64url').slice(0, 32);

const bytes = (p: WebPushPayload): number => Buffer.byteLength(JSON.stringify(p));

// Shortens the text (by whole code points) until the payload fits; a payload whose opts alone
// are too big loses its opts. The service worker sees `truncated: true` and can fetch the rest.
const fit = (p: WebPushPayload): WebPushPayload => {
  if (bytes(p) <= MAX_PAYLOAD_BYTES) return p;
  const chars = Array.from(p.msg);
  const cut = (base: WebPushPayload, n: number): WebPushPayload => ({
    ...base,
    msg: `${chars.slice(0, n).join('')}…`,
    truncated: true,
  });
  const base = bytes(cut(p, 0)) <= MAX_PAYLOAD_BYTES ? p : { ...p, opts: {} };
  let [lo, hi] = [0, chars.length];
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (bytes(cut(base, mid)) <= MAX_PAYLOAD_BYTES) lo = mid;
    else hi = mid - 1;
  }
  return cut(base, lo);
};

/** `receipt`: the token the service worker posts back (adapters/channels/receipts.ts), when the node signs them. */
export const webPushRequest = (content: Content, receipt?: string): WebPushRequest => {
  const m = leadOf(content);
  const count = countOf(content);
  const payload = fit({
    msg: m.msg,
    opts: m.opts,
    mid: m.mid,
    slug: slugOf(m),
    ...(m.tid !== undefined ? { tid: m.tid } : {}),
    ...(count > 1 ? { count } : {}),
    ...(receipt !== undefined ? { receipt } : {}),
  });
  const collapse = collapseKey(m);
  return {
    payload,
    body: JSON.stringify(payload),
    ttl: ttlSeconds(m),
    urgency: urgencyName(m.urgency),
    ...(collapse !== undefined ? { topic: topicOf(collapse) } : {}),
  };
};
