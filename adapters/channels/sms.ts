import twilio from 'twilio';
import type TwilioRequestClient from 'twilio/lib/base/RequestClient.js';
import type * as TwilioHttp from 'twilio/lib/http/response.js';
import type { TwilioConfig } from '../../schema/channels.js';
import { backoffMs } from './backoff.js';
import { mapLimit } from './pool.js';
import type { Channel, Delivery, Outcome, SmsRecipient } from '../../ports/channel.js';
import { delivered, failed, gone, retry } from './outcome.js';
import { redactor, type Redact } from './redact.js';
import { smsText } from './sms-mapper.js';

// SMS through Twilio's Messages API with the official `twilio` SDK, from the configured
// sender (a number, or a messaging service). `edge`/`region` cannot leave twilio.com, so
// tests and proxies use the SDK's supported `httpClient` option: a RequestClient that
// rewrites the request's origin to MSGXC_TWILIO_BASE_URL and keeps the SDK's own form
// encoding and Basic auth; `ca` trusts MSGXC_CHANNEL_CA_FILE.
export interface SmsChannelOptions {
  readonly config: TwilioConfig;
  readonly maxLength: number;
  readonly linkBase?: string;
  readonly timeoutMs: number;
  readonly ca?: string;
  readonly concurrency?: number;
  readonly redact?: Redact;
}

export class BaseUrlRequestClient extends twilio.RequestClient {
  constructor(
    private readonly base: URL,
    opts: TwilioRequestClient.RequestClientOptions,
  ) {
    super(opts);
  }

  override request<TData>(opts: TwilioRequestClient.RequestOptions<TData>): Promise<TwilioHttp.default<TData>> {
    const u = new URL(opts.uri);
    return super.request<TData>({ ...opts, uri: new URL(`${u.pathname}${u.search}`, this.base).toString() });
  }
}

// Twilio's error codes: 21211 invalid number, 21614 not a mobile number, 21610 the
// recipient replied STOP (all "gone": the number cannot be texted); 20429 / HTTP 429 too
// many requests, 5xx server errors (retry); 20003 authentication (our configuration).
const GONE: Readonly<Record<number, string>> = {
  21211: 'invalid number',
  21614: 'not a mobile number',
  21610: 'recipient unsubscribed (STOP)',
};

export const twilioOutcome = (err: unknown, attempt: number): Outcome => {
  const e = err as { status?: unknown; code?: unknown; message?: unknown };
  const status = typeof e.status === 'number' ? e.status : undefined;
  const code = typeof e.code === 'number' ? e.code : undefined;
  if (status === undefined)
    return retry(
      backoffMs(attempt),
      typeof e.code === 'string' ? (e.code === 'ECONNABORTED' ? 'timeout' : e.code) : 'network error',
    );
  const reason = code !== undefined ? GONE[code] : undefined;
  if (reason !== undefined) return gone(`${code ?? ''} ${reason}`);
  if (status === 429 || code === 20429) return retry(backoffMs(attempt, 30_000), `${code ?? 429} too many requests`);
  if (status >= 500) return retry(backoffMs(attempt), `http ${status}${code !== undefined ? ` (${code})` : ''}`);
  if (status === 401 || code === 20003)
    return failed(`${code ?? 401} authentication failed (MSGXC_TWILIO_ACCOUNT_SID / AUTH_TOKEN)`);
  return failed(
    `http ${status}${code !== undefined ? ` (${code})` : ''}${typeof e.message === 'string' ? `: ${e.message}` : ''}`,
  );
};

export const createSmsChannel = (o: SmsChannelOptions): Channel<SmsRecipient> => {
  const c = o.config;
  const redact = o.redact ?? redactor([c.authToken, Buffer.from(`${c.accountSid}:${c.authToken}`).toString('base64')]);
  const agentOpts = {
    timeout: o.timeoutMs,
    keepAlive: true,
    maxSockets: 32,
    ...(o.ca !== undefined ? { ca: o.ca } : {}),
  };
  const httpClient: TwilioRequestClient =
    c.baseUrl !== undefined
      ? new BaseUrlRequestClient(new URL(c.baseUrl), agentOpts)
      : new twilio.RequestClient(agentOpts);
  // env: {} keeps TWILIO_* variables of the process (edge, region) from changing where we send.
  const client = twilio(c.accountSid, c.authToken, { httpClient, env: {} });
  const sender = c.from.startsWith('MG') ? { messagingServiceSid: c.from } : { from: c.from };

  const send = async (d: Delivery<SmsRecipient>): Promise<Outcome> => {
    try {
      const m = await client.messages.create({
        to: d.to.number,
        body: smsText(d.content, o.maxLength, o.linkBase),
        ...sender,
      });
      return delivered(m.sid);
    } catch (err) {
      const outcome = twilioOutcome(err, d.attempt);
      return outcome.kind === 'delivered' ? outcome : { ...outcome, reason: redact(outcome.reason) };
    }
  };

  return {
    kind: 'sms',
    provider: 'twilio',
    deliver: (batch) => mapLimit(batch, o.concurrency ?? 16, send),
    close: () => Promise.resolve(),
  };
};
