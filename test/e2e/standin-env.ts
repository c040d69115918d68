import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import webpush from 'web-push';
import { startApnsStandin, type ApnsStandin } from '../standins/apns.js';
import { startFcmStandin, type FcmStandin } from '../standins/fcm.js';
import { startSendGridStandin, type SendGridStandin } from '../standins/sendgrid.js';
import { testPki } from '../standins/tls.js';
import { startWebPushStandin, type WebPushStandin } from '../standins/webpush.js';
import { call } from './harness.js';
import { expandDeliveries, isBatchDelivery } from '../../domain/delivery/batches.js';
import { TriageEvent } from '../../schema/triage-events.js';

// The provider stand-ins (test/standins/) in the test process, and the environment that
// points a broker process at them: the same variables an operator sets (schema/channels.ts),
// with the endpoint overrides and the test CA in MSGXC_CHANNEL_CA_FILE, so every SDK keeps
// full TLS verification and its own request format.

export interface Standins {
  readonly webpush: WebPushStandin;
  readonly apns: ApnsStandin;
  readonly fcm: FcmStandin;
  readonly sendgrid: SendGridStandin;
  /** MSGXC_* variables for startServer({ env }). */
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

export const startStandins = async (): Promise<Standins> => {
  const pki = await testPki();
  const [wp, apns, fcm, sendgrid] = await Promise.all([
    startWebPushStandin(pki),
    startApnsStandin(pki),
    startFcmStandin(pki),
    startSendGridStandin(),
  ]);
  const dir = await mkdtemp(join(tmpdir(), 'msgxc-standin-env-'));
  const caFile = join(dir, 'ca.pem');
  const keyFile = join(dir, `AuthKey_${apns.key.keyId}.p8`);
  await Promise.all([writeFile(caFile, pki.ca), writeFile(keyFile, apns.key.p8, { mode: 0o600 })]);
  const vapid = webpush.generateVAPIDKeys();
  const env: Record<string, string> = {
    MSGXC_CHANNEL_CA_FILE: caFile,
    MSGXC_CHANNEL_TIMEOUT_MS: '5000',
    MSGXC_VAPID_PUBLIC_KEY: vapid.publicKey,
    MSGXC_VAPID_PRIVATE_KEY: vapid.privateKey,
    MSGXC_VAPID_SUBJECT: 'mailto:ops@example.com',
    MSGXC_WEBPUSH_ALLOWED_HOSTS: '127.0.0.1',
    MSGXC_FCM_CREDENTIALS: JSON.stringify(fcm.serviceAccount),
    MSGXC_FCM_ENDPOINT: fcm.url,
    MSGXC_APNS_KEY_FILE: keyFile,
    MSGXC_APNS_KEY_ID: apns.key.keyId,
    MSGXC_APNS_TEAM_ID: apns.key.teamId,
    MSGXC_APNS_BUNDLE_ID: apns.key.bundleId,
    MSGXC_APNS_PRODUCTION: 'false',
    MSGXC_APNS_ENDPOINT: apns.url,
    MSGXC_SENDGRID_API_KEY: sendgrid.apiKey,
    MSGXC_SENDGRID_FROM: 'msgxc <noreply@example.com>',
    MSGXC_SENDGRID_BASE_URL: sendgrid.url,
    MSGXC_LINK_BASE: 'https://app.example.com',
  };
  return {
    webpush: wp,
    apns,
    fcm,
    sendgrid,
    env,
    close: async () => {
      await Promise.all([wp.close(), apns.close(), fcm.close(), sendgrid.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
};

/** Polls `probe` until it returns a value other than undefined; fails after `timeoutMs` naming `what`. */
export const waitFor = async <T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15_000,
  everyMs = 50,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
};

export interface LogEvent {
  readonly stream: string;
  readonly revision: number;
  readonly position: number;
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly metadata?: Record<string, unknown>;
}

/**
 * A logged event as the per-unit facts it stands for: a batched delivery event (DeliveriesClaimed,
 * DeliveriesSent, DeliveriesSkipped: one per channel and batch of recipients) expands through
 * the function every reader of the log uses (domain/delivery/batches.ts), each part keeping
 * the batch's stream, revision and position; any other event is itself.
 */
export const expandLogged = (e: LogEvent): LogEvent[] => {
  const decoded = TriageEvent.decode({ type: e.type, data: e.data });
  if (decoded._tag === 'Left' || !isBatchDelivery(decoded.right)) return [e];
  return expandDeliveries(decoded.right).map((x) => ({ ...e, type: x.type, data: { ...x.data } }));
};

/**
 * Every event in the broker's log (GET /api/v2/events, paged), batched delivery events
 * expanded (expandLogged), optionally only of some types.
 */
export const allEvents = async (
  server: { url: string },
  admin: string,
  types?: readonly string[],
): Promise<LogEvent[]> => {
  const out: LogEvent[] = [];
  let after = 0;
  for (;;) {
    const r = await call(server, 'GET', `/api/v2/events?after=${after}&limit=1000`, { token: admin });
    if (r.status !== 200) throw new Error(`GET /api/v2/events: ${r.status} ${r.text}`);
    const page = r.body as { events: LogEvent[]; next: number | null };
    out.push(...page.events.flatMap(expandLogged).filter((e) => types === undefined || types.includes(e.type)));
    if (page.next === null || page.events.length === 0) return out;
    after = page.next;
  }
};

/** The decrypted JSON payloads a web push subscription received, in order. */
export const pushPayloads = (
  s: WebPushStandin,
  subscription: string,
): { msg: string; mid: string; opts: unknown; slug: string }[] =>
  s.recorder
    .forKey(subscription)
    .map((r) => JSON.parse(String(r.details['payload'])) as { msg: string; mid: string; opts: unknown; slug: string });

/** The subscription id (the stand-in's recorder key) of an endpoint it handed out. */
export const subscriptionId = (endpoint: string): string => endpoint.slice(endpoint.lastIndexOf('/') + 1);
