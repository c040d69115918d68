import type { Agent } from 'node:https';
import webpush from 'web-push';
import type { WebPushConfig } from '../../schema/channels.js';
import { pushHostProblem } from '../../schema/push-endpoint.js';
import { httpsAgent } from './agent.js';
import { backoffMs, retryDelay } from './backoff.js';
import { mapLimit } from './pool.js';
import type { Channel, Delivery, Outcome, WebPushRecipient } from '../../ports/channel.js';
import { delivered, failed, gone, retry } from './outcome.js';
import { redactor, type Redact } from './redact.js';
import { webPushRequest } from './webpush-mapper.js';
import { receiptOf, type ReceiptSigner } from './receipts.js';

// Web push through the `web-push` SDK. The request goes to the subscription's endpoint, so
// tests point it at their stand-in by enlisting a subscription whose endpoint is the
// stand-in's URL, allowing 127.0.0.1 (MSGXC_WEBPUSH_ALLOWED_HOSTS) and trusting the test CA
// with the `agent` option (an https.Agent, MSGXC_CHANNEL_CA_FILE in the environment).
export interface WebPushChannelOptions {
  readonly config: WebPushConfig;
  readonly timeoutMs: number;
  readonly agent?: Agent;
  readonly ca?: string;
  readonly concurrency?: number;
  readonly now?: () => number;
  readonly redact?: Redact;
  readonly receipts?: ReceiptSigner;
}

// The VAPID JWT is valid for up to 24 h; signing one per message would cost an ECDSA
// signature each, so one token per push service origin is reused for 11 of its 12 hours.
const VAPID_LIFETIME_S = 12 * 3600;
const VAPID_REFRESH_S = 3600;

export const webPushOutcome = (err: unknown, attempt: number, nowMs: number): Outcome => {
  if (err instanceof webpush.WebPushError) {
    const s = err.statusCode;
    // Typed as fetch Headers, but web-push hands over Node's plain header object.
    const retryAfter = (err.headers as unknown as Record<string, unknown>)['retry-after'];
    if (s === 404 || s === 410) return gone(`http ${s}: subscription expired or unsubscribed`);
    if (s === 429) return retry(retryDelay(retryAfter, attempt, nowMs, 30_000), 'http 429: throttled');
    if (s >= 500) return retry(retryDelay(retryAfter, attempt, nowMs), `http ${s}: push service error`);
    if (s === 413) return failed('http 413: payload too large');
    if (s === 401 || s === 403) return failed(`http ${s}: VAPID credentials rejected`);
    return failed(`http ${s}`);
  }
  const e = err as { code?: unknown; message?: unknown };
  if (e.message === 'Socket timeout') return retry(backoffMs(attempt), 'timeout');
  if (typeof e.code === 'string') return retry(backoffMs(attempt), `network: ${e.code}`);
  // web-push validates the subscription before sending: keys that cannot work never will.
  return gone(`invalid subscription: ${typeof e.message === 'string' ? e.message : 'unusable keys'}`);
};

export const createWebPushChannel = (o: WebPushChannelOptions): Channel<WebPushRecipient> => {
  const agent = o.agent ?? httpsAgent(o.ca);
  const now = o.now ?? Date.now;
  const redact = o.redact ?? redactor([o.config.privateKey]);
  const vapid = new Map<string, { header: string; expires: number }>();

  const authorization = (origin: string): string => {
    const nowS = Math.floor(now() / 1000);
    const cached = vapid.get(origin);
    if (cached !== undefined && cached.expires - nowS > VAPID_REFRESH_S) return cached.header;
    const expires = nowS + VAPID_LIFETIME_S;
    const header = webpush.getVapidHeaders(
      origin,
      o.config.subject,
      o.config.publicKey,
      o.config.privateKey,
      'aes128gcm',
      expires,
    ).Authorization;
    if (vapid.size > 1000) vapid.clear();
    vapid.set(origin, { header, expires });
    return header;
  };

  const send = async (d: Delivery<WebPushRecipient>): Promise<Outcome> => {
    let url: URL;
    try {
      url = new URL(d.to.subscription.endpoint);
    } catch {
      return gone('invalid subscription: endpoint is not a URL');
    }
    if (url.protocol !== 'https:') return gone('invalid subscription: endpoint is not https');
    // The rule enlisting applied; checked again in case the list changed since (or the device predates the check).
    const refused = pushHostProblem(url, o.config.allowedHosts);
    if (refused !== undefined) return failed(refused);
    const req = webPushRequest(d.content, receiptOf(o.receipts, d));
    try {
      const res = await webpush.sendNotification(d.to.subscription, req.body, {
        TTL: req.ttl,
        urgency: req.urgency,
        ...(req.topic !== undefined ? { topic: req.topic } : {}),
        contentEncoding: 'aes128gcm',
        headers: { Authorization: authorization(url.origin) },
        agent,
        timeout: o.timeoutMs,
      });
      const location = res.headers['location'];
      return delivered(typeof location === 'string' ? location : undefined);
    } catch (err) {
      const outcome = webPushOutcome(err, d.attempt, now());
      return outcome.kind === 'delivered' ? outcome : { ...outcome, reason: redact(outcome.reason) };
    }
  };

  return {
    kind: 'webpush',
    provider: 'web-push',
    deliver: (batch) => mapLimit(batch, o.concurrency ?? 64, send),
    close: () => {
      if (o.agent === undefined) agent.destroy();
      return Promise.resolve();
    },
  };
};

/** A fresh VAPID key pair, as the environment variables want them (`msgxc vapid-keys`). */
export const vapidKeyPair = (): { publicKey: string; privateKey: string } => webpush.generateVAPIDKeys();
