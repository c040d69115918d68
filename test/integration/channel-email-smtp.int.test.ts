// The SMTP email adapter through nodemailer against a local smtp-server with STARTTLS and
// AUTH (test/standins/smtp.ts): one message per recipient, and SMTP replies mapped.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSmtpChannel } from '../../adapters/channels/email-smtp.js';
import type { Channel, EmailRecipient, Outcome } from '../../ports/channel.js';
import { channelContract, deliveryOf, sampleMessage } from '../contract/channel.contract.js';
import { freePort } from '../infra/process.js';
import { smtpReplies, startSmtpStandin, type SmtpStandin } from '../standins/smtp.js';
import { testPki } from '../standins/tls.js';

const to = (address: string): EmailRecipient => ({ channel: 'email', uid: address.split('@')[0] ?? 'x', address });
const settings = { linkBase: 'https://app.example.com', templates: {} };
const channelFor = (url: string, ca: string) =>
  createSmtpChannel({ config: { provider: 'smtp', url, from: 'noreply@example.com' }, settings, ca, timeoutMs: 2_000 });

channelContract<EmailRecipient>('email (nodemailer -> SMTP stand-in)', async () => {
  const pki = await testPki();
  const s = await startSmtpStandin(pki);
  s.refuse('nobody@example.com', smtpReplies.userUnknown(), Number.POSITIVE_INFINITY);
  const channel = channelFor(s.url, pki.ca);
  return {
    channel,
    good: (i) => to(`user${i}@example.com`),
    bad: () => to('nobody@example.com'),
    received: () => s.recorder.requests.length,
    problems: () => s.recorder.problems(),
    waitForReceived: (n) => s.recorder.waitFor(n),
    unreachable: async () => ({
      channel: channelFor(`smtp://localhost:${await freePort()}`, pki.ca),
      to: (i) => to(`x${i}@example.com`),
    }),
    cleanup: async () => {
      await channel.close();
      await s.close();
    },
  };
});

describe('SMTP adapter against the SMTP stand-in', () => {
  let s: SmtpStandin;
  let ca: string;
  let channel: Channel<EmailRecipient>;
  beforeAll(async () => {
    ca = (await testPki()).ca;
    s = await startSmtpStandin(await testPki());
    channel = channelFor(s.url, ca);
  });
  afterAll(async () => {
    await channel.close();
    await s.close();
  });
  beforeEach(() => {
    s.recorder.reset();
  });
  // Every request of the test, error paths included, passed the stand-in's checks.
  afterEach(() => {
    expect(s.recorder.problems()).toEqual([]);
  });

  const one = async (c: Channel<EmailRecipient>, address: string, message = sampleMessage()): Promise<Outcome> => {
    const [o] = await c.deliver([deliveryOf(to(address), { kind: 'message', message })]);
    if (o === undefined) throw new Error('no outcome');
    return o;
  };

  it('sends each recipient their own message over STARTTLS, with subject, text and html parts and the message id header', async () => {
    const message = sampleMessage({ msg: 'smtp hello' });
    const outcomes = await channel.deliver(
      ['a@example.com', 'b@example.com'].map((a) => deliveryOf(to(a), { kind: 'message', message })),
    );
    expect(outcomes.map((o) => o.kind)).toEqual(['delivered', 'delivered']);
    await s.recorder.waitFor(2);
    expect(s.recorder.requests.map((r) => [r.key, r.problems])).toEqual(
      expect.arrayContaining([
        ['a@example.com', []],
        ['b@example.com', []],
      ]),
    );
    const d = s.recorder.forKey('b@example.com')[0]?.details;
    expect(d).toMatchObject({ from: 'noreply@example.com', subject: 'New message in Lobby', mid: message.mid });
    expect(String(d?.['raw'])).toMatch(/text\/plain[\s\S]*smtp hello[\s\S]*text\/html/);
    expect(outcomes[0]).toMatchObject({ providerId: expect.stringContaining('@example.com>') as unknown });
  });

  it.each([
    ['550 5.1.1 user unknown', smtpReplies.userUnknown(), { kind: 'gone' }],
    ['554 5.7.1 policy rejection', smtpReplies.policy(), { kind: 'failed' }],
    ['452 4.2.2 mailbox full', smtpReplies.mailboxFull(), { kind: 'retry', afterMs: 60_000 }],
  ])('maps %s', async (_name, reply, expected) => {
    s.refuse('err@example.com', reply);
    expect(await one(channel, 'err@example.com')).toMatchObject(expected);
  });

  it('reports refused credentials as a failure that never contains the password', async () => {
    const wrong = channelFor(s.url.replace('smtp-secret-pass', 'wrong-password-123'), ca);
    try {
      const o = await one(wrong, 'c@example.com');
      expect(o).toMatchObject({ kind: 'failed', reason: expect.stringContaining('535') as unknown });
      expect(JSON.stringify(o)).not.toContain('wrong-password-123');
    } finally {
      await wrong.close();
    }
  });
});
