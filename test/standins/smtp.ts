// An SMTP server (smtp-server) offering STARTTLS with the test certificate and requiring
// AUTH. Each accepted message is recorded with its envelope and headers; a recipient can be
// planned to be refused at RCPT TO with a real reply such as `550 5.1.1 User unknown`.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { Recorder, type Answer } from './recorder.js';
import type { TestPki } from './tls.js';

export interface SmtpStandin {
  readonly port: number;
  readonly url: string;
  readonly recorder: Recorder;
  /** Refuses `address` at RCPT TO with the planned reply, `times` times. */
  refuse(address: string, answer: Answer & { kind: 'reply' }, times?: number): void;
  close(): Promise<void>;
}

type Reply = Answer & { kind: 'reply' };
export const smtpReplies = {
  userUnknown: (): Reply => ({
    kind: 'reply',
    status: 550,
    body: '5.1.1 <recipient>: Recipient address rejected: User unknown',
  }),
  policy: (): Reply => ({ kind: 'reply', status: 554, body: '5.7.1 Message rejected by policy' }),
  mailboxFull: (): Reply => ({ kind: 'reply', status: 452, body: '4.2.2 Mailbox full, try again later' }),
};

const headerOf = (raw: string, name: string): string | undefined =>
  new RegExp(`^${name}:\\s*(.*(?:\\r?\\n[ \\t].*)*)`, 'im').exec(raw)?.[1]?.replace(/\r?\n[ \t]/g, ' ');

export const startSmtpStandin = async (
  pki: TestPki,
  user = 'msgxc',
  pass = 'smtp-secret-pass',
): Promise<SmtpStandin> => {
  const recorder = new Recorder();
  const refused = new Map<string, { answer: Reply; remaining: number }>();
  const server = new SMTPServer({
    secure: false,
    key: pki.key,
    cert: pki.cert,
    logger: false,
    disabledCommands: [],
    onAuth: (auth, _session, cb) => {
      if (auth.username === user && auth.password === pass) cb(null, { user });
      else cb(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }));
    },
    onRcptTo: (address, session, cb) => {
      const planned = refused.get(address.address);
      if (planned !== undefined && planned.remaining > 0) {
        // A scripted refusal still checks what it can see at RCPT TO (TLS), as a server
        // requiring STARTTLS would refuse first, and records the attempt.
        const problems = session.secure ? [] : ['not over TLS'];
        recorder.take({
          method: 'RCPT',
          path: '',
          headers: {},
          body: Buffer.alloc(0),
          key: address.address,
          problems,
          details: {},
        });
        if (problems.length > 0) {
          cb(Object.assign(new Error('5.7.0 Must issue a STARTTLS command first'), { responseCode: 530 }));
          return;
        }
        planned.remaining -= 1;
        cb(
          Object.assign(new Error(typeof planned.answer.body === 'string' ? planned.answer.body : 'refused'), {
            responseCode: planned.answer.status,
          }),
        );
        return;
      }
      cb();
    },
    onData: (stream, session, cb) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const text = raw.toString('utf8');
        const rcpt = session.envelope.rcptTo.map((r) => r.address);
        const problems = [
          ...(rcpt.length !== 1 ? [`${rcpt.length} recipients (one email per recipient expected)`] : []),
          ...(session.secure ? [] : ['not over TLS']),
          ...(/^bcc:/im.test(text) ? ['Bcc header present'] : []),
        ];
        recorder.take({
          method: 'DATA',
          path: '',
          headers: {},
          body: raw,
          key: rcpt.join(','),
          problems,
          details: {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
            subject: headerOf(text, 'Subject'),
            mid: headerOf(text, 'X-Msgxc-Mid'),
            raw: text,
          },
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve();
    });
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    url: `smtp://${user}:${pass}@localhost:${port}`,
    recorder,
    refuse: (address, answer, times = 1) => {
      refused.set(address, { answer, remaining: times });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
};
