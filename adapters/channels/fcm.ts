import { randomUUID } from 'node:crypto';
import type { Agent } from 'node:https';
import { deleteApp, initializeApp } from 'firebase-admin/app';
import { getMessaging, type SendResponse } from 'firebase-admin/messaging';
import type { FcmConfig } from '../../schema/channels.js';
import { dialingAgent, httpsAgent } from './agent.js';
import { backoffMs } from './backoff.js';
import { serviceAccountCredential } from './fcm-credential.js';
import { fcmMessage } from './fcm-mapper.js';
import { withDeadline } from './pool.js';
import type { Channel, Delivery, FcmRecipient, Outcome } from '../../ports/channel.js';
import { delivered, failed, gone, retry } from './outcome.js';
import { redactor, type Redact } from './redact.js';
import { receiptOf, type ReceiptSigner } from './receipts.js';

// FCM through firebase-admin's messaging API (HTTP v1), `sendEach` in batches of up to 500.
// The SDK has a fixed host and no emulator for messaging; its supported hook is the app's
// `httpAgent`. With MSGXC_FCM_ENDPOINT (tests, proxies) that agent dials the endpoint while
// TLS keeps verifying Google's host names, and the HTTP/1.1 transport is enabled, because
// `sendEach`'s default HTTP/2 session ignores the agent. Without it the SDK's HTTP/2
// transport is used, as Google recommends; both map the same error codes.
export interface FcmChannelOptions {
  readonly config: FcmConfig;
  readonly timeoutMs: number;
  readonly ca?: string;
  readonly agent?: Agent;
  /**
   * How long one `sendEach` call may take before its unanswered messages count as timed
   * out. The SDK's request timeout is fixed at 15 s and it retries 503s and resets up to 4
   * times (about 82 s at worst), so the default is beyond that.
   */
  readonly deadlineMs?: number;
  readonly now?: () => number;
  readonly redact?: Redact;
  /** Signs the receipt token put in each payload (adapters/channels/receipts.ts); none without it. */
  readonly receipts?: ReceiptSigner;
}

export const FCM_BATCH = 500;

// Error codes as firebase-admin names them. The SDK has already retried 503s itself (1 + 2
// + 4 s), so a server error it hands back waits at least 10 s; quota errors at least a
// minute, as FCM asks. The SDK drops the response headers, so Retry-After is not seen.
export const fcmOutcome = (r: SendResponse, attempt: number): Outcome => {
  if (r.success) return delivered(r.messageId);
  const code = r.error?.code ?? 'unknown';
  const msg = r.error?.message ?? '';
  switch (code) {
    case 'messaging/registration-token-not-registered':
      return gone('UNREGISTERED');
    case 'messaging/invalid-registration-token':
      return gone('invalid registration token');
    case 'messaging/invalid-argument':
      return /registration token/i.test(msg)
        ? gone('INVALID_ARGUMENT: not a valid registration token')
        : failed(`INVALID_ARGUMENT: ${msg}`);
    case 'messaging/message-rate-exceeded':
    case 'messaging/device-message-rate-exceeded':
    case 'messaging/topics-message-rate-exceeded':
      return retry(backoffMs(attempt, 60_000), `${code.slice(10)}: quota exceeded`);
    case 'messaging/server-unavailable':
    case 'messaging/internal-error':
    case 'messaging/unknown-error':
      return retry(backoffMs(attempt, 10_000), code.slice(10));
    case 'app/network-error':
    case 'app/network-timeout':
    case 'app/invalid-credential':
      return retry(backoffMs(attempt), code.slice(4));
    case 'messaging/mismatched-credential':
    case 'messaging/authentication-error':
    case 'messaging/third-party-auth-error':
      return failed(`${code.slice(10)}: check MSGXC_FCM_CREDENTIALS and MSGXC_FCM_PROJECT_ID`);
    default:
      return failed(`${code}: ${msg}`);
  }
};

export const createFcmChannel = (o: FcmChannelOptions): Channel<FcmRecipient> => {
  const agent = o.agent ?? (o.config.endpoint !== undefined ? dialingAgent(o.config.endpoint, o.ca) : httpsAgent(o.ca));
  const redact = o.redact ?? redactor([o.config.serviceAccount.private_key]);
  const app = initializeApp(
    {
      credential: serviceAccountCredential(o.config.serviceAccount, agent, o.timeoutMs, o.now),
      projectId: o.config.projectId,
      httpAgent: agent,
    },
    `msgxc-fcm-${randomUUID()}`,
  );
  const messaging = getMessaging(app);
  // Deprecated "until HTTP/2 reaches the same stability", and still the only transport that honours the agent.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  if (o.config.endpoint !== undefined || o.agent !== undefined) messaging.enableLegacyHttpTransport();
  const deadline = o.deadlineMs ?? 90_000;

  const sendChunk = async (chunk: readonly Delivery<FcmRecipient>[]): Promise<Outcome[]> => {
    try {
      const messages = chunk.map((d) => fcmMessage(d, receiptOf(o.receipts, d)));
      return await withDeadline(
        messaging
          .sendEach(messages)
          .then((r) => r.responses.map((resp, i) => fcmOutcome(resp, chunk[i]?.attempt ?? 0))),
        deadline,
        () => chunk.map((d) => retry(backoffMs(d.attempt), 'timeout')),
      );
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      return chunk.map((d) =>
        retry(backoffMs(d.attempt), `sendEach failed${typeof code === 'string' ? `: ${code}` : ''}`),
      );
    }
  };

  return {
    kind: 'fcm',
    provider: 'fcm',
    deliver: async (batch) => {
      const out: Outcome[] = [];
      for (let i = 0; i < batch.length; i += FCM_BATCH) out.push(...(await sendChunk(batch.slice(i, i + FCM_BATCH))));
      return out.map((x) => (x.kind === 'delivered' ? x : { ...x, reason: redact(x.reason) }));
    },
    close: async () => {
      await deleteApp(app);
      if (o.agent === undefined) agent.destroy();
    },
  };
};
