// SendGrid's v3 mail send endpoint on plain HTTP: checks the API key, and that every request
// carries exactly one personalization with one `to` and no cc/bcc (one email per recipient,
// never everybody in BCC), and a subject+content or a template id. Answers 202 with an
// X-Message-Id as SendGrid does.
import { randomBytes } from 'node:crypto';
import { answerWith, listen, type StandinServer } from './http-server.js';
import { readBody, Recorder, reply, type Answer } from './recorder.js';

export interface SendGridStandin extends StandinServer {
  readonly recorder: Recorder;
  readonly apiKey: string;
}

const errors = (message: string, field: string | null = null, help: string | null = null): object => ({
  errors: [{ message, field, help }],
});

// Error answers as SendGrid words them.
export const sendGridErrors = {
  invalidAddress: (): Answer =>
    reply(
      400,
      errors(
        'Does not contain a valid address.',
        'personalizations.0.to.0.email',
        'http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html#message.personalizations.to',
      ),
    ),
  throttled: (resetInS: number): Answer =>
    reply(429, errors('too many requests'), {
      'x-ratelimit-limit': '600',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + resetInS),
    }),
  serverError: (): Answer => reply(500, errors('internal error')),
  unavailable: (): Answer => reply(503, errors('service unavailable'), { 'retry-after': '20' }),
  forbidden: (): Answer => reply(403, errors('access forbidden')),
};

type Personalization = { to?: { email?: string }[]; cc?: unknown; bcc?: unknown; subject?: string };
interface MailBody {
  personalizations?: Personalization[];
  from?: { email?: string };
  subject?: string;
  content?: { type: string; value: string }[];
  template_id?: string;
}

const check = (b: MailBody): string[] => {
  const problems: string[] = [];
  const ps = b.personalizations ?? [];
  if (ps.length !== 1) problems.push(`${ps.length} personalizations (one email per recipient expected)`);
  const p = ps[0];
  if (p?.to?.length !== 1) problems.push('a personalization without exactly one `to`');
  if (p?.cc !== undefined || p?.bcc !== undefined) problems.push('cc or bcc present');
  if (typeof b.from?.email !== 'string') problems.push('no from address');
  if (b.template_id === undefined) {
    if (b.subject === undefined && p?.subject === undefined) problems.push('no subject');
    const types = (b.content ?? []).map((c) => c.type);
    if (!types.includes('text/plain') || !types.includes('text/html'))
      problems.push('content lacks text/plain and text/html');
  }
  return problems;
};

export const startSendGridStandin = async (
  apiKey = `SG.${randomBytes(11).toString('base64url')}.${randomBytes(32).toString('base64url')}`,
): Promise<SendGridStandin> => {
  const recorder = new Recorder();
  const server = await listen((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const path = req.url ?? '';
      let body: MailBody = {};
      const problems: string[] = [];
      try {
        body = JSON.parse(raw.toString('utf8')) as MailBody;
      } catch {
        problems.push('body is not JSON');
      }
      if (req.method !== 'POST' || path !== '/v3/mail/send') problems.push(`${String(req.method)} ${path}`);
      const authorized = req.headers.authorization === `Bearer ${apiKey}`;
      if (!authorized) problems.push('wrong API key');
      problems.push(...check(body));
      const key = body.personalizations?.[0]?.to?.[0]?.email ?? '';
      const answer = recorder.take({
        method: req.method ?? '',
        path,
        headers: req.headers,
        body: raw,
        key,
        problems,
        details: { mail: body },
      });
      const fallback = !authorized
        ? reply(401, errors('The provided authorization grant is invalid, expired, or revoked'))
        : problems.length > 0
          ? reply(400, errors(problems.join('; ')))
          : reply(202, '', { 'x-message-id': randomBytes(11).toString('base64url') });
      answerWith(res, answer, fallback);
    })();
  });
  return { ...server, recorder, apiKey };
};
