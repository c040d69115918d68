// The SendGrid email adapter through the real @sendgrid/mail client against a local
// /v3/mail/send (test/standins/sendgrid.ts): one request per recipient, local templates with
// {{var}} substitution, dynamic templates, the digest, and SendGrid's error answers.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSendGridChannel } from '../../adapters/channels/email-sendgrid.js';
import type { Channel, EmailRecipient, Outcome } from '../../ports/channel.js';
import type { SendGridConfig } from '../../schema/channels.js';
import { channelContract, deliveryOf, sampleMessage } from '../contract/channel.contract.js';
import { freePort } from '../infra/process.js';
import { sendGridErrors, startSendGridStandin, type SendGridStandin } from '../standins/sendgrid.js';

const to = (address: string, extra: Partial<EmailRecipient> = {}): EmailRecipient => ({
  channel: 'email',
  uid: address.split('@')[0] ?? 'x',
  address,
  ...extra,
});
const configFor = (s: SendGridStandin, extra: Partial<SendGridConfig> = {}): SendGridConfig => ({
  provider: 'sendgrid',
  apiKey: s.apiKey,
  from: 'msgxc <noreply@example.com>',
  baseUrl: s.url,
  ...extra,
});
const settings = { linkBase: 'https://app.example.com', templates: {} };
const TEMPLATE = 'd-0123456789abcdef0123456789abcdef';
const DIGEST = 'd-fedcba9876543210fedcba9876543210';

channelContract<EmailRecipient>('email (@sendgrid/mail -> SendGrid stand-in)', async () => {
  const s = await startSendGridStandin();
  s.recorder.on('bounce@invalid', sendGridErrors.invalidAddress());
  const channel = createSendGridChannel({ config: configFor(s), settings, timeoutMs: 2_000 });
  return {
    channel,
    good: (i) => to(`user${i}@example.com`),
    bad: () => to('bounce@invalid'),
    received: () => s.recorder.requests.length,
    problems: () => s.recorder.problems(),
    unreachable: async () => ({
      channel: createSendGridChannel({
        config: { ...configFor(s), baseUrl: `http://127.0.0.1:${await freePort()}` },
        settings,
        timeoutMs: 2_000,
      }),
      to: (i) => to(`x${i}@example.com`),
    }),
    cleanup: async () => {
      await channel.close();
      await s.close();
    },
  };
});

interface Sent {
  personalizations: { to: { email: string; name?: string }[]; dynamic_template_data?: Record<string, unknown> }[];
  from: { email: string; name?: string };
  subject?: string;
  content?: { type: string; value: string }[];
  template_id?: string;
  custom_args?: Record<string, string>;
}
const templateData = (m: Sent): Record<string, unknown> | undefined => m.personalizations[0]?.dynamic_template_data;

describe('SendGrid adapter against the SendGrid stand-in', () => {
  let s: SendGridStandin;
  let channel: Channel<EmailRecipient>;
  beforeAll(async () => {
    s = await startSendGridStandin();
    channel = createSendGridChannel({ config: configFor(s), settings, timeoutMs: 1_500 });
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

  const mail = (address: string): Sent => s.recorder.forKey(address)[0]?.details['mail'] as Sent;
  const content = (m: Sent, type: string): string => m.content?.find((c) => c.type === type)?.value ?? '';
  const one = async (c: Channel<EmailRecipient>, r: EmailRecipient, message = sampleMessage()): Promise<Outcome> => {
    const [o] = await c.deliver([deliveryOf(r, { kind: 'message', message })]);
    if (o === undefined) throw new Error('no outcome');
    return o;
  };

  it('sends one email per recipient (one `to`, no BCC) with the built-in template, the deep link, and HTML-escaped text', async () => {
    const message = sampleMessage({ msg: 'Launch at <b>noon</b> & cake' });
    const outcomes = await channel.deliver(
      ['a@example.com', 'b@example.com', 'c@example.com'].map((a) =>
        deliveryOf(to(a, { name: 'Ann' }), { kind: 'message', message }),
      ),
    );
    expect(outcomes.map((o) => o.kind)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(s.recorder.requests.map((r) => r.problems)).toEqual([[], [], []]);
    const m = mail('b@example.com');
    expect(m.personalizations).toEqual([{ to: [{ email: 'b@example.com', name: 'Ann' }] }]);
    expect(m.from).toEqual({ email: 'noreply@example.com', name: 'msgxc' });
    expect(m.subject).toBe('New message in Lobby');
    expect(content(m, 'text/plain')).toContain(
      'Launch at <b>noon</b> & cake\n\nOpen: https://app.example.com/thread/lobby',
    );
    expect(content(m, 'text/html')).toContain('Launch at &lt;b&gt;noon&lt;/b&gt; &amp; cake');
    expect(m.custom_args).toMatchObject({ mid: message.mid });
    expect(outcomes[0]).toMatchObject({ providerId: expect.stringMatching(/^[\w-]{10,}$/) as unknown });
  });

  it("fills a local template from the user record ({{fn}}, {{user.name}}) and the message's repl map ({{text.topic}})", async () => {
    const custom = createSendGridChannel({
      config: configFor(s),
      timeoutMs: 1_500,
      settings: {
        ...settings,
        templates: {
          message: {
            subject: 'Hi {{fn}}: {{text.topic}}',
            text: 'Dear {{user.name}}, {{msg}} ({{missing}})',
            html: '<p>{{fn}}</p>',
          },
        },
      },
    });
    try {
      await one(
        custom,
        to('bob@example.com', { name: 'Bob Smith', attributes: { fn: 'Bob' } }),
        sampleMessage({ msg: 'see you', opts: { repl: { topic: 'Launch' } } }),
      );
      const m = mail('bob@example.com');
      expect(m.subject).toBe('Hi Bob: Launch');
      expect(content(m, 'text/plain')).toBe('Dear Bob Smith, see you ()');
    } finally {
      await custom.close();
    }
  });

  it('sends a dynamic template id with the variables instead of content, and the digest template for a digest', async () => {
    const dynamic = createSendGridChannel({
      config: configFor(s, { templateId: TEMPLATE, digestTemplateId: DIGEST }),
      settings,
      timeoutMs: 1_500,
    });
    try {
      await one(dynamic, to('d@example.com', { attributes: { fn: 'Dee' } }), sampleMessage({ msg: 'templated' }));
      const m = mail('d@example.com');
      expect(m.template_id).toBe(TEMPLATE);
      expect(m.content).toBeUndefined();
      expect(templateData(m)).toMatchObject({
        msg: 'templated',
        thread: 'Lobby',
        link: 'https://app.example.com/thread/lobby',
        user: { fn: 'Dee', email: 'd@example.com' },
      });
      await dynamic.deliver([
        deliveryOf(to('e@example.com'), {
          kind: 'digest',
          messages: [sampleMessage({ msg: 'second' }), sampleMessage({ msg: 'first' })],
        }),
      ]);
      expect(mail('e@example.com').template_id).toBe(DIGEST);
      expect(templateData(mail('e@example.com'))).toMatchObject({
        count: 2,
        messages: [{ msg: 'second' }, { msg: 'first' }],
      });
    } finally {
      await dynamic.close();
    }
  });

  it('renders a digest with the built-in digest template', async () => {
    await channel.deliver([
      deliveryOf(to('f@example.com'), {
        kind: 'digest',
        messages: [sampleMessage({ msg: 'newer news' }), sampleMessage({ msg: 'older news', from: 'carol' })],
      }),
    ]);
    const m = mail('f@example.com');
    expect(m.subject).toBe('2 new messages');
    expect(content(m, 'text/plain')).toMatch(/alice in Lobby: newer news[\s\S]*carol in Lobby: older news/);
  });

  it.each([
    ['400 invalid address', sendGridErrors.invalidAddress(), { kind: 'gone' }],
    ['403 forbidden', sendGridErrors.forbidden(), { kind: 'failed' }],
    ['500', sendGridErrors.serverError(), { kind: 'retry', afterMs: 5_000 }],
    ['503 with Retry-After: 20', sendGridErrors.unavailable(), { kind: 'retry', afterMs: 20_000 }],
    ['no answer (timeout)', { kind: 'hang' } as const, { kind: 'retry', reason: 'timeout' }],
  ])('maps %s', async (_name, answer, expected) => {
    s.recorder.on('err@example.com', answer);
    expect(await one(channel, to('err@example.com'))).toMatchObject(expected);
  });

  it('waits for the rate-limit window to reset on a 429', async () => {
    s.recorder.on('busy@example.com', sendGridErrors.throttled(30));
    const o = await one(channel, to('busy@example.com'));
    expect(o.kind).toBe('retry');
    expect(o.kind === 'retry' ? o.afterMs : 0).toBeGreaterThan(27_000);
    expect(o.kind === 'retry' ? o.afterMs : 0).toBeLessThanOrEqual(31_000);
  });

  it('reports a rejected API key as a failure that never contains the key', async () => {
    const wrongKey = 'SG.wrongwrongwrong.wrongwrongwrongwrongwrongwrongwrongwrong';
    const wrong = createSendGridChannel({ config: { ...configFor(s), apiKey: wrongKey }, settings, timeoutMs: 1_500 });
    try {
      const o = await one(wrong, to('g@example.com'));
      expect(o).toMatchObject({ kind: 'failed', reason: expect.stringContaining('401') as unknown });
      expect(JSON.stringify(o)).not.toContain(wrongKey);
      // The one problem the stand-in found is the one this test made; nothing else was wrong.
      expect(s.recorder.problems()).toEqual(['g@example.com: wrong API key']);
      s.recorder.reset();
    } finally {
      await wrong.close();
    }
  });
});
