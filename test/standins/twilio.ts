// Twilio's Messages API on plain HTTP: POST /2010-04-01/Accounts/<sid>/Messages.json,
// form-encoded, HTTP Basic auth with the account SID and auth token. Answers 201 with a
// message resource, and errors in Twilio's `{code, message, more_info, status}` shape.
import { randomBytes } from 'node:crypto';
import { answerWith, listen, type StandinServer } from './http-server.js';
import { readBody, Recorder, reply, type Answer } from './recorder.js';

export interface TwilioStandin extends StandinServer {
  readonly recorder: Recorder;
  readonly accountSid: string;
  readonly authToken: string;
}

const twilioError = (status: number, code: number, message: string): Answer =>
  reply(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

export const twilioErrors = {
  invalidNumber: (to: string): Answer => twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`),
  unsubscribed: (): Answer => twilioError(400, 21610, 'Attempt to send to unsubscribed recipient'),
  notMobile: (): Answer => twilioError(400, 21614, "'To' number is not a valid mobile number"),
  tooManyRequests: (): Answer => twilioError(429, 20429, 'Too Many Requests'),
  serverError: (): Answer => twilioError(500, 20500, 'Internal Server Error'),
};

export const startTwilioStandin = async (): Promise<TwilioStandin> => {
  const recorder = new Recorder();
  const accountSid = `AC${randomBytes(16).toString('hex')}`;
  const authToken = randomBytes(16).toString('hex');
  const server = await listen((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const path = req.url ?? '';
      const form = new URLSearchParams(raw.toString('utf8'));
      const problems: string[] = [];
      if (req.method !== 'POST' || path !== `/2010-04-01/Accounts/${accountSid}/Messages.json`)
        problems.push(`${String(req.method)} ${path}`);
      if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded'))
        problems.push('not form-encoded');
      const authorized =
        req.headers.authorization === `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
      if (!authorized) problems.push('wrong Basic credentials');
      const to = form.get('To') ?? '';
      const from = form.get('From') ?? form.get('MessagingServiceSid');
      if (from === null) problems.push('neither From nor MessagingServiceSid');
      if ((form.get('Body') ?? '') === '') problems.push('empty Body');
      const answer = recorder.take({
        method: req.method ?? '',
        path,
        headers: req.headers,
        body: raw,
        key: to,
        problems,
        details: { form: Object.fromEntries(form) },
      });
      const sid = `SM${randomBytes(16).toString('hex')}`;
      const fallback = !authorized
        ? twilioError(401, 20003, 'Authenticate')
        : problems.length > 0
          ? twilioError(400, 21602, problems.join('; '))
          : reply(201, {
              account_sid: accountSid,
              api_version: '2010-04-01',
              body: form.get('Body'),
              date_created: new Date().toUTCString(),
              direction: 'outbound-api',
              error_code: null,
              error_message: null,
              from: form.get('From'),
              messaging_service_sid: form.get('MessagingServiceSid'),
              num_segments: '1',
              price: null,
              sid,
              status: 'queued',
              to,
              uri: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`,
            });
      answerWith(res, answer, fallback);
    })();
  });
  return { ...server, recorder, accountSid, authToken };
};
