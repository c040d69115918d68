import fc from 'fast-check';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { JITTER_MS, burstOf, freshBucket, take } from '../../../domain/throttle.js';
import type { Bucket } from '../../../domain/throttle.js';
import { TriageEnv, triageSettings } from '../../../schema/config-triage.js';
import { createGate } from '../../../delivery/gate.js';
import { throttleChannels, throttled } from '../../../delivery/throttle.js';
import type { Channel, Delivery } from '../../../ports/channel.js';
import { busiestSecond } from '../../windows.js';

describe('token bucket (domain/throttle.ts)', () => {
  it('never lets more than N sends into any window of a second plus JITTER_MS, however greedily and whenever asked', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 500 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 1, max: 800 })), {
          minLength: 1,
          maxLength: 300,
        }),
        (perSecond, asks) => {
          const limit = { perSecond };
          let now = 1_000_000;
          let bucket: Bucket = freshBucket(now);
          const sent: number[] = [];
          for (const [gap, want] of asks) {
            now += gap;
            const t = take(bucket, limit, now, want);
            bucket = t.bucket;
            for (let i = 0; i < t.granted; i += 1) sent.push(now);
            expect(t.granted).toBeLessThanOrEqual(want);
            if (t.granted === 0) expect(t.waitMs).toBeGreaterThan(0);
          }
          // Sends that leave up to JITTER_MS after their grant still fit any one-second window.
          expect(busiestSecond(sent, 1000 + JITTER_MS)).toBeLessThanOrEqual(perSecond);
        },
      ),
    );
  });

  it('a sender asking the moment each token is due still fits N into any second plus JITTER_MS', () => {
    for (const perSecond of [1, 2, 4, 7, 50, 1000]) {
      const limit = { perSecond };
      let now = 0;
      let bucket = freshBucket(now);
      const sent: number[] = [];
      while (now < 5_000) {
        const t = take(bucket, limit, now, 1);
        bucket = t.bucket;
        if (t.granted > 0) sent.push(now);
        now += t.granted > 0 ? 0 : t.waitMs;
      }
      expect(busiestSecond(sent, 1000 + JITTER_MS)).toBeLessThanOrEqual(perSecond);
    }
  });

  it('sustains most of the rate: a greedy sender gets at least 85% of N over ten seconds', () => {
    for (const perSecond of [1, 7, 50, 1000]) {
      const limit = { perSecond };
      let now = 0;
      let bucket = freshBucket(now);
      let sent = 0;
      while (now < 10_000) {
        const t = take(bucket, limit, now, 1_000_000);
        bucket = t.bucket;
        sent += t.granted;
        now += t.granted > 0 ? 1 : t.waitMs;
      }
      expect(sent).toBeGreaterThanOrEqual(Math.floor(0.85 * perSecond * 10));
      expect(burstOf(limit)).toBeGreaterThanOrEqual(1);
    }
  });
});

describe('MSGXC_THROTTLE_<CHANNEL> (schema/config-triage.ts)', () => {
  it('reads N/s per channel; anything else is refused naming the variable', () => {
    const env = TriageEnv.decode({ MSGXC_THROTTLE_EMAIL: '50/s', MSGXC_THROTTLE_SMS: ' 3 / s' });
    expect(isRight(env) && triageSettings(env.right).throttle).toEqual({
      email: { perSecond: 50 },
      sms: { perSecond: 3 },
    });
    for (const bad of ['0/s', '50', '50/m', '-1/s', '1.5/s', '100001/s', 'fast'])
      expect(isLeft(TriageEnv.decode({ MSGXC_THROTTLE_FCM: bad }))).toBe(true);
    const left = TriageEnv.decode({ MSGXC_THROTTLE_FCM: 'x' });
    expect(isLeft(left) && JSON.stringify(left.left.map((e) => e.message))).toContain('MSGXC_THROTTLE_FCM');
  });
});

describe('throttled channel (delivery/throttle.ts)', () => {
  const message = (urgency: 1 | 4, id: string): Delivery => ({
    id,
    attempt: 0,
    to: { channel: 'email', uid: id, address: `${id}@example.com` },
    content: {
      kind: 'message',
      message: { mid: id, from: 'ann', msg: 'x', opts: {}, urgency, at: '2030-01-01T00:00:00.000Z' },
    },
  });
  const recording = (): { channel: Channel; sent: { at: number; id: string }[] } => {
    const sent: { at: number; id: string }[] = [];
    const channel: Channel = {
      kind: 'email',
      provider: 'test',
      deliver: (batch) => {
        for (const d of batch) sent.push({ at: Date.now(), id: d.id });
        return Promise.resolve(batch.map(() => ({ kind: 'delivered' as const })));
      },
      close: () => Promise.resolve(),
    };
    return { channel, sent };
  };

  it('cuts calls to the limit, answers one outcome per delivery in order, and serves the urgent call first', async () => {
    const { channel, sent } = recording();
    const email = throttled(channel, createGate({ perSecond: 10 }));
    const broadcast = Array.from({ length: 14 }, (_, i) => message(1, `b${String(i)}`));
    const slow = email.deliver(broadcast);
    // Once the broadcast is being paced (two sent), an urgent call arrives: it is granted before the rest.
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (sent.length >= 2) resolve();
        else setTimeout(check, 5);
      };
      check();
    });
    const urgent = email.deliver([message(4, 'u0')]);
    const [outcomes, urgentOutcome] = await Promise.all([slow, urgent]);
    expect(outcomes).toHaveLength(14);
    expect(urgentOutcome).toEqual([{ kind: 'delivered' }]);
    expect(sent).toHaveLength(15);
    expect(busiestSecond(sent.map((x) => x.at))).toBeLessThanOrEqual(10);
    expect(sent.map((x) => x.id).indexOf('u0')).toBe(2);
  });

  it('leaves a channel without a limit as it is', () => {
    const { channel } = recording();
    expect(throttleChannels({ email: channel as never }, {}).email).toBe(channel);
    expect(throttleChannels({ email: channel as never }, { sms: { perSecond: 1 } }).email).toBe(channel);
  });
});
