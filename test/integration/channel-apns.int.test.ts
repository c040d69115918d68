// The APNs adapter through the real @parse/node-apn provider (token auth, HTTP/2) against a
// local HTTP/2 TLS server that checks the path, the apns-* headers and the ES256 provider
// token (test/standins/apns.ts).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApnsChannel } from '../../adapters/channels/apns.js';
import type { ApnsRecipient, Channel, Outcome } from '../../ports/channel.js';
import type { ApnsConfig } from '../../schema/channels.js';
import { channelContract, deliveryOf, sampleMessage } from '../contract/channel.contract.js';
import { freePort } from '../infra/process.js';
import { apnsErrors, startApnsStandin, type ApnsStandin } from '../standins/apns.js';
import { testPki } from '../standins/tls.js';

const token = (i: number | string): string => (typeof i === 'number' ? i.toString(16).padStart(64, '0') : i);
const to = (t: string): ApnsRecipient => ({ channel: 'apns', uid: 'bob', deviceId: `dev-${t.slice(-6)}`, token: t });
const configFor = (s: ApnsStandin, endpoint = s.url): ApnsConfig => ({
  key: s.key.p8,
  keyId: s.key.keyId,
  teamId: s.key.teamId,
  bundleId: s.key.bundleId,
  production: false,
  endpoint: new URL(endpoint),
});

channelContract<ApnsRecipient>('APNs (@parse/node-apn -> HTTP/2 stand-in)', async () => {
  const pki = await testPki();
  const s = await startApnsStandin(pki);
  const channel = createApnsChannel({ config: configFor(s), ca: pki.ca, timeoutMs: 2_000 });
  return {
    channel,
    good: (i) => to(token(i + 1)),
    bad: () => to('not-a-device-token'),
    received: () => s.recorder.requests.length,
    problems: () => s.recorder.problems(),
    unreachable: async () => ({
      channel: createApnsChannel({
        config: configFor(s, `https://127.0.0.1:${await freePort()}`),
        ca: pki.ca,
        timeoutMs: 2_000,
      }),
      to: (i) => to(token(i + 9000)),
    }),
    cleanup: async () => {
      await channel.close();
      await s.close();
    },
  };
});

describe('APNs adapter against the HTTP/2 stand-in', () => {
  let s: ApnsStandin;
  let channel: Channel<ApnsRecipient>;
  const now = Date.now();
  beforeAll(async () => {
    const pki = await testPki();
    s = await startApnsStandin(pki);
    channel = createApnsChannel({ config: configFor(s), ca: pki.ca, timeoutMs: 1_500, now: () => now });
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

  const one = async (t: string, message = sampleMessage()): Promise<Outcome> => {
    const [o] = await channel.deliver([deliveryOf(to(t), { kind: 'message', message })]);
    if (o === undefined) throw new Error('no outcome');
    return o;
  };

  it('posts to /3/device/<token> with topic, push type, priority 10, expiry, collapse id, a verified provider token, and badge and sound from opts', async () => {
    const t = token(0xabc);
    const message = sampleMessage({
      msg: 'hello iPhone',
      urgency: 4,
      opts: { data: { key: 'whatever' }, badge: 3, sound: 'chime.caf', collapse: 'chat-42', ttl: 600 },
    });
    const outcome = await one(t, message);
    expect(outcome).toEqual({ kind: 'delivered', providerId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown });
    const [req] = s.recorder.requests;
    expect(req?.problems).toEqual([]);
    expect(req?.path).toBe(`/3/device/${t}`);
    expect(req?.headers).toMatchObject({
      'apns-topic': s.key.bundleId,
      'apns-push-type': 'alert',
      'apns-priority': '10',
      'apns-expiration': String(Math.floor(now / 1000) + 600),
      'apns-collapse-id': 'chat-42',
    });
    expect(req?.details['claims']).toMatchObject({ iss: s.key.teamId });
    expect(req?.details['payload']).toEqual({
      aps: { alert: { title: 'Lobby', body: 'hello iPhone' }, badge: 3, sound: 'chime.caf', 'thread-id': 'lobby' },
      mid: message.mid,
      slug: '/thread/lobby',
      data: { key: 'whatever' },
    });
  });

  it('uses priority 5 for low urgency, the default sound, no badge, and expiry 0 for a TTL of 0', async () => {
    await one(token(0xdef), sampleMessage({ urgency: 2, opts: { ttl: 0 } }));
    const [req] = s.recorder.requests;
    expect(req?.headers).toMatchObject({ 'apns-priority': '5', 'apns-expiration': '0' });
    expect(req?.details['payload']).toMatchObject({ aps: { sound: 'default' } });
    expect((req?.details['payload'] as { aps: object }).aps).not.toHaveProperty('badge');
  });

  it.each([
    ['410 Unregistered', apnsErrors.unregistered(), { kind: 'gone', reason: '410 Unregistered' }, 1],
    ['400 BadDeviceToken', apnsErrors.badDeviceToken(), { kind: 'gone', reason: '400 BadDeviceToken' }, 1],
    ['400 DeviceTokenNotForTopic', apnsErrors.notForTopic(), { kind: 'gone' }, 1],
    ['413 PayloadTooLarge', apnsErrors.payloadTooLarge(), { kind: 'failed', reason: '413 PayloadTooLarge' }, 1],
    ['403 InvalidProviderToken', apnsErrors.invalidProviderToken(), { kind: 'failed' }, 1],
    // The library retries these once itself (connectionRetryLimit), then hands them to us.
    ['429 TooManyRequests', apnsErrors.tooManyRequests(30), { kind: 'retry', afterMs: 30_000 }, 2],
    ['500 InternalServerError', apnsErrors.internal(), { kind: 'retry', afterMs: 5_000 }, 2],
    ['503 ServiceUnavailable', apnsErrors.unavailable(), { kind: 'retry', afterMs: 5_000 }, 2],
  ])('maps %s', async (_name, answer, expected, requests) => {
    const t = token(0xe77);
    s.recorder.on(t, answer);
    expect(await one(t)).toMatchObject(expected);
    expect(s.recorder.forKey(t)).toHaveLength(requests);
  });

  it('counts no answer within the request timeout as a timeout to retry', async () => {
    const t = token(0x7e7);
    s.recorder.on(t, { kind: 'hang' });
    expect(await one(t)).toMatchObject({ kind: 'retry', reason: 'timeout' });
  });
});
