// The SMS adapter through the real `twilio` SDK (its httpClient option pointing at the
// stand-in) against a local Messages API (test/standins/twilio.ts): form encoding, Basic
// auth, the trimmed text with its link, and Twilio's error answers.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSmsChannel } from '../../adapters/channels/sms.js';
import type { Channel, Outcome, SmsRecipient } from '../../ports/channel.js';
import type { TwilioConfig } from '../../schema/channels.js';
import { channelContract, deliveryOf, sampleMessage } from '../contract/channel.contract.js';
import { freePort } from '../infra/process.js';
import { startTwilioStandin, twilioErrors, type TwilioStandin } from '../standins/twilio.js';

const to = (number: string): SmsRecipient => ({ channel: 'sms', uid: 'bob', number });
const configFor = (s: TwilioStandin, extra: Partial<TwilioConfig> = {}): TwilioConfig => ({
  accountSid: s.accountSid,
  authToken: s.authToken,
  from: '+15017122661',
  baseUrl: s.url,
  ...extra,
});
const LINK = 'https://app.example.com';

channelContract<SmsRecipient>('SMS (twilio SDK -> Messages API stand-in)', async () => {
  const s = await startTwilioStandin();
  s.recorder.on('+15005550001', twilioErrors.invalidNumber('+15005550001'));
  const channel = createSmsChannel({ config: configFor(s), maxLength: 160, linkBase: LINK, timeoutMs: 2_000 });
  return {
    channel,
    good: (i) => to(`+1555${String(i).padStart(7, '0')}`),
    bad: () => to('+15005550001'),
    received: () => s.recorder.requests.length,
    problems: () => s.recorder.problems(),
    unreachable: async () => ({
      channel: createSmsChannel({
        config: { ...configFor(s), baseUrl: `http://127.0.0.1:${await freePort()}` },
        maxLength: 160,
        timeoutMs: 2_000,
      }),
      to: (i) => to(`+1666${String(i).padStart(7, '0')}`),
    }),
    cleanup: async () => {
      await channel.close();
      await s.close();
    },
  };
});

describe('SMS adapter against the Twilio stand-in', () => {
  let s: TwilioStandin;
  let channel: Channel<SmsRecipient>;
  beforeAll(async () => {
    s = await startTwilioStandin();
    channel = createSmsChannel({ config: configFor(s), maxLength: 60, linkBase: LINK, timeoutMs: 1_500 });
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

  const one = async (c: Channel<SmsRecipient>, number: string, message = sampleMessage()): Promise<Outcome> => {
    const [o] = await c.deliver([deliveryOf(to(number), { kind: 'message', message })]);
    if (o === undefined) throw new Error('no outcome');
    return o;
  };
  const form = (number: string): Record<string, string> =>
    s.recorder.forKey(number)[0]?.details['form'] as Record<string, string>;

  it('posts To, From and a Body trimmed to the configured length that keeps its link, with Basic auth', async () => {
    const outcome = await one(
      channel,
      '+15551230001',
      sampleMessage({ msg: 'The launch moved to Thursday because the venue double-booked us, sorry all' }),
    );
    expect(outcome).toEqual({ kind: 'delivered', providerId: expect.stringMatching(/^SM[0-9a-f]{32}$/) as unknown });
    expect(s.recorder.requests[0]?.problems).toEqual([]);
    expect(form('+15551230001')).toEqual({
      To: '+15551230001',
      From: '+15017122661',
      Body: 'The launch moved to Th… https://app.example.com/thread/lobby',
    });
  });

  it('counts characters, not UTF-16 units, and never cuts an emoji in half', async () => {
    await one(channel, '+15551230004', sampleMessage({ msg: `${'x'.repeat(21)}${'🚀'.repeat(10)}` }));
    const body = form('+15551230004')['Body'] ?? '';
    expect(body).toBe(`${'x'.repeat(21)}🚀… https://app.example.com/thread/lobby`);
    expect(Array.from(body)).toHaveLength(60);
  });

  it('sends a short message whole, and from a messaging service when one is configured', async () => {
    const viaService = createSmsChannel({
      config: configFor(s, { from: `MG${'a'.repeat(32)}` }),
      maxLength: 160,
      timeoutMs: 1_500,
    });
    try {
      await one(viaService, '+15551230002', sampleMessage({ msg: 'short  and\nsweet' }));
      expect(form('+15551230002')).toMatchObject({
        MessagingServiceSid: `MG${'a'.repeat(32)}`,
        Body: 'short and sweet',
      });
      expect(form('+15551230002')).not.toHaveProperty('From');
    } finally {
      await viaService.close();
    }
  });

  it.each([
    [
      '21211 invalid number',
      twilioErrors.invalidNumber('+15551239999'),
      { kind: 'gone', reason: '21211 invalid number' },
    ],
    ['21610 unsubscribed (STOP)', twilioErrors.unsubscribed(), { kind: 'gone' }],
    ['21614 not a mobile number', twilioErrors.notMobile(), { kind: 'gone' }],
    ['20429 too many requests', twilioErrors.tooManyRequests(), { kind: 'retry', afterMs: 30_000 }],
    ['20500 server error', twilioErrors.serverError(), { kind: 'retry', afterMs: 5_000 }],
    ['no answer (timeout)', { kind: 'hang' } as const, { kind: 'retry', reason: 'timeout' }],
  ])('maps %s', async (_name, answer, expected) => {
    s.recorder.on('+15551239999', answer);
    expect(await one(channel, '+15551239999')).toMatchObject(expected);
  });

  it('reports refused credentials as a failure that never contains the auth token', async () => {
    const token = 'f'.repeat(32);
    const wrong = createSmsChannel({ config: configFor(s, { authToken: token }), maxLength: 160, timeoutMs: 1_500 });
    try {
      const o = await one(wrong, '+15551230003');
      expect(o).toMatchObject({ kind: 'failed', reason: expect.stringContaining('20003') as unknown });
      expect(JSON.stringify(o)).not.toContain(token);
      // The one problem the stand-in found is the one this test made; nothing else was wrong.
      expect(s.recorder.problems()).toEqual(['+15551230003: wrong Basic credentials']);
      s.recorder.reset();
    } finally {
      await wrong.close();
    }
  });
});
