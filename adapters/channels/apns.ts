import { rootCertificates } from 'node:tls';
import apn from '@parse/node-apn';
import type { ApnsConfig } from '../../schema/channels.js';
import { apnsRequest } from './apns-mapper.js';
import { backoffMs } from './backoff.js';
import { mapLimit } from './pool.js';
import type { ApnsRecipient, Channel, Delivery, Outcome } from '../../ports/channel.js';
import { delivered, failed, gone, retry } from './outcome.js';
import { redactor, type Redact } from './redact.js';
import { receiptOf, type ReceiptSigner } from './receipts.js';

// APNs through @parse/node-apn (the maintained fork of `apn`) with token authentication.
// Tests point it at their HTTP/2 stand-in through the provider's own `address` and `port`
// options (MSGXC_APNS_ENDPOINT) and trust the test CA with `ca` (MSGXC_CHANNEL_CA_FILE).
export interface ApnsChannelOptions {
  readonly config: ApnsConfig;
  readonly timeoutMs: number;
  readonly ca?: string;
  readonly concurrency?: number;
  readonly now?: () => number;
  readonly redact?: Redact;
  /** Signs the receipt token put in each payload (adapters/channels/receipts.ts); none without it. */
  readonly receipts?: ReceiptSigner;
}

type Failure = apn.ResponseFailure;

// The library retries 408, 429 and 5xx itself, immediately (it reads `Retry-After` with the
// wrong case, so never waits), and refreshes an expired provider token on a 403. One such
// retry is allowed; anything beyond is ours, with back-off.
const LIBRARY_RETRIES = 1;

export const apnsOutcome = (f: Failure, attempt: number): Outcome => {
  const reason = f.response?.reason;
  const s = f.status;
  if (s === undefined)
    return retry(backoffMs(attempt), f.error?.message.includes('timeout') === true ? 'timeout' : 'network error');
  if (s === 410 || reason === 'Unregistered') return gone(`${s} Unregistered`);
  if (reason === 'BadDeviceToken' || reason === 'DeviceTokenNotForTopic') return gone(`${s} ${reason}`);
  if (s === 429) return retry(backoffMs(attempt, 30_000), `429 ${reason ?? 'TooManyRequests'}`);
  if (s === 408 || s >= 500) return retry(backoffMs(attempt), `${s} ${reason ?? 'server error'}`);
  if (reason === 'ExpiredProviderToken') return retry(backoffMs(attempt, 1_000), `${s} ExpiredProviderToken`);
  return failed(`${s} ${reason ?? 'rejected'}`);
};

export const createApnsChannel = (o: ApnsChannelOptions): Channel<ApnsRecipient> => {
  const now = o.now ?? Date.now;
  const redact = o.redact ?? redactor([o.config.key]);
  const ep = o.config.endpoint;
  const provider = new apn.Provider({
    token: { key: o.config.key, keyId: o.config.keyId, teamId: o.config.teamId },
    production: o.config.production,
    ...(ep !== undefined ? { address: ep.hostname, port: Number(ep.port || 443) } : {}),
    ...(o.ca !== undefined ? { ca: [...rootCertificates, o.ca] } : {}),
    connectionRetryLimit: LIBRARY_RETRIES,
    requestTimeout: o.timeoutMs,
  });

  const send = async (d: Delivery<ApnsRecipient>): Promise<Outcome> => {
    const r = apnsRequest(d.content, o.config.bundleId, now(), receiptOf(o.receipts, d));
    const note = new apn.Notification({
      topic: r.topic,
      pushType: r.pushType,
      priority: r.priority,
      expiry: r.expiry,
      alert: r.alert,
      sound: r.sound,
      payload: r.payload,
      ...(r.collapseId !== undefined ? { collapseId: r.collapseId } : {}),
      ...(r.threadId !== undefined ? { threadId: r.threadId } : {}),
      ...(r.badge !== undefined ? { badge: r.badge } : {}),
    });
    try {
      const { sent, failed: failures } = await provider.send(note, d.to.token);
      const f = failures[0];
      if (f !== undefined) {
        const outcome = apnsOutcome(f, d.attempt);
        return outcome.kind === 'delivered' ? outcome : { ...outcome, reason: redact(outcome.reason) };
      }
      const id = (sent[0] as Record<string, unknown> | undefined)?.['apns-id'];
      return delivered(typeof id === 'string' ? id : undefined);
    } catch {
      return retry(backoffMs(d.attempt), 'network error');
    }
  };

  return {
    kind: 'apns',
    provider: 'apns',
    deliver: (batch) => mapLimit(batch, o.concurrency ?? 100, send),
    close: async () => {
      await provider.shutdown();
    },
  };
};
