import fc from 'fast-check';
import type * as t from 'io-ts';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { campaignRate, checkThrottle } from '../../../domain/throttle.js';
import { describeErrors } from '../../../schema/errors.js';
import { MessagePublished } from '../../../schema/events.js';
import { BroadcastBody, MulticastBody, PublishBody, SendBody } from '../../../schema/http.js';
import { MessageOpts, StoredMessageOpts } from '../../../schema/message.js';
import { CampaignThrottleC, MAX_CAMPAIGN_RATE, THROTTLE_CHANNELS } from '../../../schema/throttle.js';
import { DispatchChannel } from '../../../schema/triage-events.js';

// `opts.throttle` (docs/campaigns.md, "Throttling per campaign"): the request codec refuses a
// bad rate or an unknown channel naming the field; a stored MessagePublished from before keeps
// decoding whatever it carried there, and readers apply only a valid one.

const errorsOf = (u: unknown, codec: t.Decoder<unknown, unknown>): string[] => {
  const r = codec.decode(u);
  return isLeft(r) ? describeErrors(r.left) : [];
};

describe('opts.throttle (schema/throttle.ts)', () => {
  it('names the same channels as dispatch', () => {
    expect([...THROTTLE_CHANNELS].sort()).toEqual(DispatchChannel.types.map((l) => l.value).sort());
  });

  it('accepts 1..100000 deliveries a second per known channel', () => {
    for (const ok of [{ email: 50, sms: 5, webpush: 1000 }, { mqtt: 1 }, { apns: MAX_CAMPAIGN_RATE, fcm: 7 }]) {
      expect(isRight(MessageOpts.decode({ throttle: ok })), JSON.stringify(ok)).toBe(true);
      expect(isRight(MulticastBody.decode({ uids: ['a'], msg: 'x', opts: { throttle: ok } }))).toBe(true);
    }
  });

  it('refuses a bad rate or an unknown channel with a 400 naming the field', () => {
    const cases: [unknown, string][] = [
      [{ email: 0 }, 'opts.throttle.email'],
      [{ email: -5 }, 'opts.throttle.email'],
      [{ email: 1.5 }, 'opts.throttle.email'],
      [{ email: MAX_CAMPAIGN_RATE + 1 }, 'opts.throttle.email'],
      [{ email: 1e300 }, 'opts.throttle.email'],
      [{ email: '5' }, 'opts.throttle.email'],
      [{ email: null }, 'opts.throttle.email'],
      [{ sms: 5, fax: 5 }, 'opts.throttle.fax'],
      [{ websocket: 5 }, 'opts.throttle.websocket'],
      [{}, 'opts.throttle'],
      [[5], 'opts.throttle'],
      [5, 'opts.throttle'],
    ];
    for (const [throttle, field] of cases)
      for (const [codec, body] of [
        [MulticastBody, { uids: ['a'], msg: 'x', opts: { throttle } }],
        [BroadcastBody, { msg: 'x', opts: { throttle } }],
        [PublishBody, { tid: 't', msg: 'x', opts: { throttle } }],
        [SendBody, { uid: 'u', msg: 'x', opts: { throttle } }],
      ] as const) {
        const errors = errorsOf(body, codec);
        expect(errors.length, `${codec.name} ${JSON.stringify(throttle)}`).toBeGreaterThan(0);
        expect(
          errors.some((e) => e.startsWith(`${field}:`)),
          errors.join('; '),
        ).toBe(true);
      }
  });

  it('answers a body of thousands of bad keys with a bounded list of errors', () => {
    const throttle = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`c${String(i)}`, 1]));
    const r = CampaignThrottleC.decode(throttle);
    expect(isLeft(r) && r.left.length).toBeLessThanOrEqual(THROTTLE_CHANNELS.length + 1);
  });

  it('its guard and its decoder agree, and decoding gives the value back as it is', () => {
    const value = fc.oneof(
      fc.integer({ min: -2, max: MAX_CAMPAIGN_RATE + 2 }),
      fc.double(),
      fc.constant(-0),
      fc.string(),
      fc.constant(null),
    );
    const key = fc.oneof(fc.constantFrom(...THROTTLE_CHANNELS), fc.string({ maxLength: 6 }));
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 4 }), (u) => {
        const r = CampaignThrottleC.decode(u);
        expect(isRight(r)).toBe(CampaignThrottleC.is(u));
        if (isRight(r)) expect(r.right).toBe(u);
      }),
    );
  });

  it('keeps an old stored MessagePublished decoding whatever its opts.throttle was; readers ignore a bad one', () => {
    const event = (throttle: unknown) => ({
      type: 'MessagePublished',
      data: {
        mid: 'm1',
        from: 'ann',
        audience: { kind: 'everyone' },
        msg: 'x',
        opts: { throttle },
        urgency: 3,
        at: '2026-01-01T00:00:00.000Z',
      },
    });
    for (const old of ['fast', { email: 0 }, { fax: 3 }, [1]]) {
      expect(isRight(MessagePublished.decode(event(old))), JSON.stringify(old)).toBe(true);
      expect(MessagePublished.is(event(old))).toBe(true);
      expect(isRight(StoredMessageOpts.decode({ throttle: old }))).toBe(true);
      expect(isLeft(MessageOpts.decode({ throttle: old }))).toBe(true);
      expect(campaignRate({ throttle: old }, 'email')).toBeUndefined();
      expect(isLeft(checkThrottle({ throttle: old }))).toBe(true);
    }
    expect(campaignRate({ throttle: { email: 3, sms: 1 } }, 'email')).toBe(3);
    expect(campaignRate({ throttle: { email: 3 } }, 'sms')).toBeUndefined();
    expect(campaignRate({}, 'email')).toBeUndefined();
    expect(isRight(checkThrottle({}))).toBe(true);
    expect(isRight(checkThrottle({ throttle: { sms: 2 } }))).toBe(true);
  });
});
