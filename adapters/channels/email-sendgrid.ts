import type { Agent } from 'node:https';
import sgMail from '@sendgrid/mail';
import type { SendGridConfig } from '../../schema/channels.js';
import { httpsAgent } from './agent.js';
import { backoffMs, retryAfterMs, retryDelay } from './backoff.js';
import { emailFor, type Email, type EmailSettings } from './email-mapper.js';
import { mapLimit } from './pool.js';
import type { Channel, Delivery, EmailRecipient, Outcome } from '../../ports/channel.js';
import { delivered, failed, gone, retry } from './outcome.js';
import { redactor, type Redact } from './redact.js';

// Email through SendGrid's v3 mail send API with @sendgrid/mail: one request per recipient,
// each with a single `to` (never one email with everybody in BCC). With a dynamic template
// id (MSGXC_SENDGRID_TEMPLATE_ID, or the digest's) SendGrid renders the template from the
// variables; otherwise the local templates' subject, text and html are sent. Tests, EU
// residency and proxies set the client's `baseUrl` (MSGXC_SENDGRID_BASE_URL) after
// setApiKey (which resets it), and an `httpsAgent` trusts MSGXC_CHANNEL_CA_FILE.
export interface SendGridChannelOptions {
  readonly config: SendGridConfig;
  readonly settings: Omit<EmailSettings, 'from'>;
  readonly timeoutMs: number;
  readonly ca?: string;
  readonly agent?: Agent;
  readonly concurrency?: number;
  readonly now?: () => number;
  readonly redact?: Redact;
}

type MailService = typeof sgMail;
interface SgClient {
  setDefaultRequest(key: string, value: unknown): void;
}
interface SgError {
  code?: unknown;
  response?: { headers?: Record<string, unknown>; body?: unknown };
}

/** A service of its own: the module's singleton would share one API key across channels. */
const newMailService = (): MailService & { client: SgClient } => {
  const Ctor = sgMail.constructor as new () => MailService & { client: SgClient };
  return new Ctor();
};

const firstError = (body: unknown): { message?: string; field?: string } => {
  const errors = (body as { errors?: unknown } | undefined)?.errors;
  const e: unknown = Array.isArray(errors) ? errors[0] : undefined;
  return typeof e === 'object' && e !== null ? e : {};
};

export const sendGridOutcome = (err: unknown, attempt: number, nowMs: number): Outcome => {
  const e = err as SgError;
  if (typeof e.code === 'number') {
    const s = e.code;
    const headers = e.response?.headers ?? {};
    const { message, field } = firstError(e.response?.body);
    if (s === 429) {
      const reset = Number(headers['x-ratelimit-reset']);
      const untilReset = Number.isFinite(reset) && reset > 0 ? reset * 1000 - nowMs : undefined;
      return retry(
        retryAfterMs(headers['retry-after'], nowMs) ?? untilReset ?? backoffMs(attempt, 60_000),
        'http 429: rate limited',
      );
    }
    if (s >= 500) return retry(retryDelay(headers['retry-after'], attempt, nowMs), `http ${s}: server error`);
    if (s === 401 || s === 403) return failed(`http ${s}: API key rejected (MSGXC_SENDGRID_API_KEY)`);
    if (s === 400 && field !== undefined && /^personalizations\.\d+\.to\.\d+\.email$/.test(field))
      return gone(`http 400: invalid address (${message ?? field})`);
    return failed(`http ${s}${message !== undefined ? `: ${message}` : ''}`);
  }
  const code = typeof e.code === 'string' ? e.code : 'network error';
  return retry(backoffMs(attempt), code === 'ECONNABORTED' || code === 'ETIMEDOUT' ? 'timeout' : code);
};

const request = (m: Email, o: SendGridChannelOptions, deliveryId: string) => {
  const templateId = m.templateId ?? (m.kind === 'digest' ? o.config.digestTemplateId : o.config.templateId);
  const common = { to: m.to, from: m.from, customArgs: { mid: m.mid, delivery: deliveryId } };
  return templateId !== undefined
    ? { ...common, templateId, dynamicTemplateData: m.data }
    : { ...common, subject: m.subject, text: m.text, html: m.html };
};

export const createSendGridChannel = (o: SendGridChannelOptions): Channel<EmailRecipient> => {
  const now = o.now ?? Date.now;
  const redact = o.redact ?? redactor([o.config.apiKey]);
  const agent = o.agent ?? httpsAgent(o.ca);
  const mail = newMailService();
  mail.setApiKey(o.config.apiKey);
  if (o.config.baseUrl !== undefined) mail.client.setDefaultRequest('baseUrl', o.config.baseUrl);
  mail.client.setDefaultRequest('httpsAgent', agent);
  mail.setTimeout(o.timeoutMs);
  const settings: EmailSettings = { ...o.settings, from: o.config.from };

  const send = async (d: Delivery<EmailRecipient>): Promise<Outcome> => {
    try {
      const [res] = await mail.send(request(emailFor(d, settings), o, d.id));
      const id = (res.headers as Record<string, unknown>)['x-message-id'];
      return delivered(typeof id === 'string' ? id : undefined);
    } catch (err) {
      const outcome = sendGridOutcome(err, d.attempt, now());
      return outcome.kind === 'delivered' ? outcome : { ...outcome, reason: redact(outcome.reason) };
    }
  };

  return {
    kind: 'email',
    provider: 'sendgrid',
    deliver: (batch) => mapLimit(batch, o.concurrency ?? 32, send),
    close: () => {
      if (o.agent === undefined) agent.destroy();
      return Promise.resolve();
    },
  };
};
