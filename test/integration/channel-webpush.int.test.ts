// The web push adapter through the real `web-push` SDK against a local push service that
// verifies the VAPID JWT and decrypts every payload with http_ece (test/standins/webpush.ts).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import webpush from 'web-push';
import { createWebPushChannel } from '../../adapters/channels/webpush.js';
import { MAX_PAYLOAD_BYTES } from '../../adapters/channels/webpush-mapper.js';
import type { Channel, Outcome, WebPushRecipient } from '../../ports/channel.js';
import { WebPushPayload, type WebPushConfig } from '../../schema/channels.js';
import { channelContract, deliveryOf, sampleMessage } from '../contract/channel.contract.js';
import { freePort } from '../infra/process.js';
import { testPki, type TestPki } from '../standins/tls.js';
import { startWebPushStandin, webPushErrors, type WebPushStandin } from '../standins/webpush.js';

const keys = webpush.generateVAPIDKeys();
const config: WebPushConfig = { ...keys, subject: 'mailto:ops@example.com', allowedHosts: ['127.0.0.1'] };
const recipient = (s: WebPushStandin, id: string): WebPushRecipient => ({
  channel: 'webpush',
  uid: 'bob',
  deviceId: `dev-${id}`,
  subscription: s.subscribe(id),
});

channelContract<WebPushRecipient>('web push (web-push SDK -> push service stand-in)', async () => {
  const pki = await testPki();
  const s = await startWebPushStandin(pki);
  const channel = createWebPushChannel({ config, ca: pki.ca, timeoutMs: 2_000 });
  s.recorder.on('gone', webPushErrors.gone());
  return {
    channel,
    good: (i) => recipient(s, `c${i}`),
    bad: () => ({ ...recipient(s, 'gone') }),
    received: () => s.recorder.requests.length,
    problems: () => s.recorder.problems(),
    unreachable: async () => {
      const port = await freePort();
      const to = (i: number): WebPushRecipient => ({
        channel: 'webpush',
        uid: 'bob',
        deviceId: `x${i}`,
        subscription: { ...s.subscribe(), endpoint: `https://127.0.0.1:${port}/push/x${i}` },
      });
      return { channel: createWebPushChannel({ config, ca: pki.ca, timeoutMs: 2_000 }), to };
    },
    cleanup: async () => {
      await channel.close();
      await s.close();
    },
  };
});

describe('web push adapter against the push service stand-in', () => {
  let pki: TestPki;
  let s: WebPushStandin;
  let channel: Channel<WebPushRecipient>;
  beforeAll(async () => {
    pki = await testPki();
    s = await startWebPushStandin(pki);
    channel = createWebPushChannel({ config, ca: pki.ca, timeoutMs: 1_500 });
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

  const one = async (to: WebPushRecipient, message = sampleMessage()): Promise<Outcome> => {
    const [o] = await channel.deliver([deliveryOf(to, { kind: 'message', message })]);
    if (o === undefined) throw new Error('no outcome');
    return o;
  };

  it('sends TTL, Urgency and Topic from the message, a VAPID JWT for the push service, and a payload that decrypts to the exact text', async () => {
    const text = 'Grüße aus dem Lobby 👋 — exact text, "quoted" & <tagged>';
    const message = sampleMessage({
      msg: text,
      urgency: 4,
      opts: { data: { key: 'whatever' }, collapse: 'chat-42', ttl: 600 },
    });
    const outcome = await one(recipient(s, 'exact'), message);
    const [req] = s.recorder.requests;
    expect(req?.problems).toEqual([]);
    expect(outcome).toEqual({
      kind: 'delivered',
      providerId: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+\/m\/\d+$/) as unknown,
    });
    expect(req?.details).toMatchObject({
      ttl: '600',
      urgency: 'high',
      topic: 'chat-42',
      vapidKey: keys.publicKey,
      vapidClaims: { aud: s.url, sub: 'mailto:ops@example.com' },
    });
    const payload = WebPushPayload.decode(JSON.parse(String(req?.details['payload'])));
    expect(E.isRight(payload)).toBe(true);
    expect(E.isRight(payload) ? payload.right : undefined).toEqual({
      msg: text,
      opts: message.opts,
      mid: message.mid,
      slug: '/thread/lobby',
      tid: 'lobby',
    });
  });

  it('maps urgency 1-3 to very-low, low and normal, defaults TTL to 24 h, links to /inbox without a thread, and hashes collapse keys that are not a valid Topic', async () => {
    const direct = { ...sampleMessage() };
    delete (direct as { tid?: string }).tid;
    for (const [u, name] of [
      [1, 'very-low'],
      [2, 'low'],
      [3, 'normal'],
    ] as const) {
      await one(recipient(s, `u${u}`), { ...direct, urgency: u, opts: { collapse: 'news: today / tomorrow' } });
      const req = s.recorder.forKey(`u${u}`)[0];
      expect(req?.problems).toEqual([]);
      expect(req?.details).toMatchObject({
        urgency: name,
        ttl: '86400',
        topic: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/) as unknown,
      });
      expect(JSON.parse(String(req?.details['payload']))).toMatchObject({ slug: '/inbox' });
    }
  });

  it('signs one VAPID token per push service and reuses it', async () => {
    await channel.deliver([deliveryOf(recipient(s, 'v1')), deliveryOf(recipient(s, 'v2'))]);
    const auth = s.recorder.requests.map((r) => r.headers.authorization);
    expect(auth).toHaveLength(2);
    expect(auth[0]).toBe(auth[1]);
  });

  it('shortens a message that would not fit in a push message, and says so', async () => {
    const outcome = await one(recipient(s, 'long'), sampleMessage({ msg: 'ü'.repeat(5_000) }));
    expect(outcome.kind).toBe('delivered');
    const payload = String(s.recorder.requests[0]?.details['payload']);
    expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    expect(JSON.parse(payload)).toMatchObject({ truncated: true, msg: expect.stringMatching(/^ü+…$/) as unknown });
  });

  it.each([
    ['410 Gone', webPushErrors.gone(), { kind: 'gone' }],
    ['404 Not Found', webPushErrors.notFound(), { kind: 'gone' }],
    ['429 with Retry-After: 30', webPushErrors.throttled(30), { kind: 'retry', afterMs: 30_000 }],
    ['503', webPushErrors.unavailable(), { kind: 'retry', afterMs: 5_000 }],
    ['500', webPushErrors.serverError(), { kind: 'retry', afterMs: 5_000 }],
    ['413', webPushErrors.tooLarge(), { kind: 'failed' }],
    ['a dropped connection', { kind: 'reset' } as const, { kind: 'retry' }],
    ['no answer (timeout)', { kind: 'hang' } as const, { kind: 'retry', reason: 'timeout' }],
  ])('maps %s from the push service', async (_name, answer, expected) => {
    s.recorder.on('err', answer);
    expect(await one(recipient(s, 'err'))).toMatchObject(expected);
  });

  it('grows the back-off with the attempt when the push service gives no Retry-After', async () => {
    s.recorder.on('later', webPushErrors.serverError());
    const [o] = await channel.deliver([deliveryOf(recipient(s, 'later'), undefined, 3)]);
    expect(o).toMatchObject({ kind: 'retry', afterMs: 40_000 });
  });

  it('refuses endpoints outside the allowed push services and non-https endpoints without sending', async () => {
    const sub = s.subscribe('x');
    const elsewhere = await one({
      channel: 'webpush',
      uid: 'bob',
      deviceId: 'd',
      subscription: { ...sub, endpoint: 'https://169.254.169.254/latest/meta-data' },
    });
    const plain = await one({
      channel: 'webpush',
      uid: 'bob',
      deviceId: 'd',
      subscription: { ...sub, endpoint: sub.endpoint.replace('https:', 'http:') },
    });
    expect(elsewhere).toMatchObject({
      kind: 'failed',
      reason: expect.stringContaining('MSGXC_WEBPUSH_ALLOWED_HOSTS') as unknown,
    });
    expect(plain).toMatchObject({ kind: 'gone' });
    expect(s.recorder.requests).toHaveLength(0);
  });

  it("checks the request even when the test scripted an error answer: a malformed one gets the service's 400, not the scripted 410", async () => {
    const ok = recipient(s, 'scripted-ok');
    const other = s.subscribe('someone-else');
    s.recorder.on('scripted-ok', webPushErrors.gone());
    s.recorder.on('scripted-bad', webPushErrors.gone());
    // Encrypted for keys the push service does not hold for this subscription: it cannot decrypt.
    const bad: WebPushRecipient = {
      ...recipient(s, 'scripted-bad'),
      subscription: { ...s.subscribe('scripted-bad'), keys: other.keys },
    };
    expect(await one(ok)).toMatchObject({ kind: 'gone' });
    const refused = await one(bad);
    expect(refused).toMatchObject({ kind: 'failed', reason: expect.stringContaining('400') as unknown });
    expect(s.recorder.problems()).toEqual([expect.stringMatching(/^scripted-bad: payload does not decrypt/)]);
    s.recorder.reset();
  });

  it('answers gone for a subscription whose keys cannot work, without sending', async () => {
    const sub = s.subscribe('badkeys');
    const outcome = await one({
      channel: 'webpush',
      uid: 'bob',
      deviceId: 'd',
      subscription: { ...sub, keys: { p256dh: 'not-a-key', auth: sub.keys.auth } },
    });
    expect(outcome).toMatchObject({ kind: 'gone', reason: expect.stringContaining('invalid subscription') as unknown });
    expect(s.recorder.requests).toHaveLength(0);
  });

  it('keeps the VAPID private key out of every outcome', async () => {
    s.recorder.always({ kind: 'reply', status: 403, body: `forbidden ${keys.privateKey}` });
    const outcome = await one(recipient(s, 'forbidden'));
    expect(outcome.kind).toBe('failed');
    expect(JSON.stringify(outcome)).not.toContain(keys.privateKey);
  });
});
