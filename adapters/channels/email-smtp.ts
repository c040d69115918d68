import { createTransport } from 'nodemailer';
import type { SmtpConfig } from '../../schema/channels.js';
import { trustedCa } from './agent.js';
import { backoffMs } from './backoff.js';
import { emailFor, type EmailSettings } from './email-mapper.js';
import { mapLimit } from './pool.js';
import type { Channel, Delivery, EmailRecipient, Outcome } from '../../ports/channel.js';
import { delivered, failed, gone, retry } from './outcome.js';
import { redactor, type Redact } from './redact.js';

// Email over SMTP with nodemailer, for users without SendGrid: the same local templates, one
// message per recipient, over a small connection pool. The server is MSGXC_SMTP_URL
// (smtp:// upgrades with STARTTLS when offered, smtps:// is TLS from the start); tests run a
// local smtp-server there and trust its certificate with MSGXC_CHANNEL_CA_FILE.
export interface SmtpChannelOptions {
  readonly config: SmtpConfig;
  readonly settings: Omit<EmailSettings, 'from'>;
  readonly timeoutMs: number;
  readonly ca?: string;
  readonly concurrency?: number;
  readonly redact?: Redact;
}

interface SmtpError {
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
}

// SMTP reply codes: 4xx is a temporary failure, 5xx permanent; the enhanced status 5.1.1
// (and 5.1.10 / 5.1.6) says the mailbox does not exist, which is "gone".
export const smtpOutcome = (err: unknown, attempt: number): Outcome => {
  const e = err as SmtpError;
  const status = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const reply = typeof e.response === 'string' ? e.response.slice(0, 120) : '';
  if (status !== undefined && status >= 500) {
    return /\b5\.1\.(1|6|10)\b/.test(reply)
      ? gone(`smtp ${status}: mailbox does not exist`)
      : failed(`smtp ${status}: ${reply}`);
  }
  if (status !== undefined && status >= 400) return retry(backoffMs(attempt, 60_000), `smtp ${status}: ${reply}`);
  const code = typeof e.code === 'string' ? e.code : 'network error';
  return retry(backoffMs(attempt), code === 'ETIMEDOUT' ? 'timeout' : code);
};

export const createSmtpChannel = (o: SmtpChannelOptions): Channel<EmailRecipient> => {
  const redact = o.redact ?? redactor([new URL(o.config.url).password]);
  const transport = createTransport({
    url: o.config.url,
    pool: true,
    maxConnections: o.concurrency ?? 4,
    connectionTimeout: o.timeoutMs,
    greetingTimeout: o.timeoutMs,
    socketTimeout: o.timeoutMs,
    ...(o.ca !== undefined ? { tls: { ca: trustedCa(o.ca) } } : {}),
  });
  const settings: EmailSettings = { ...o.settings, from: o.config.from };

  const send = async (d: Delivery<EmailRecipient>): Promise<Outcome> => {
    const m = emailFor(d, settings);
    try {
      const info = await transport.sendMail({
        from: m.from,
        to: m.to.name !== undefined ? { name: m.to.name, address: m.to.email } : m.to.email,
        subject: m.subject,
        text: m.text,
        html: m.html,
        headers: { 'X-Msgxc-Mid': m.mid, 'X-Msgxc-Delivery': d.id },
      });
      if (info.rejected.length > 0) return smtpOutcome({ responseCode: 550, response: info.response }, d.attempt);
      return delivered(info.messageId);
    } catch (err) {
      const outcome = smtpOutcome(err, d.attempt);
      return outcome.kind === 'delivered' ? outcome : { ...outcome, reason: redact(outcome.reason) };
    }
  };

  return {
    kind: 'email',
    provider: 'smtp',
    deliver: (batch) => mapLimit(batch, (o.concurrency ?? 4) * 2, send),
    close: () => {
      transport.close();
      return Promise.resolve();
    },
  };
};
