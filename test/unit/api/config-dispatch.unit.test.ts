import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../../schema/config.js';

// MSGXC_DISPATCH_CONCURRENCY: provider calls in flight per channel on one node (delivery/lanes.ts).
const concurrency = (value?: string) => {
  const c = configFromEnv(value === undefined ? {} : { MSGXC_DISPATCH_CONCURRENCY: value });
  return E.isRight(c) ? c.right.triage.concurrency : c.left.join('\n');
};

describe('MSGXC_DISPATCH_CONCURRENCY', () => {
  it('defaults to 4 per channel; takes one count for all, or a default and overrides, or overrides alone', () => {
    expect(concurrency()).toEqual({ webpush: 4, fcm: 4, apns: 4, email: 4, sms: 4, mqtt: 4 });
    expect(concurrency('8')).toEqual({ webpush: 8, fcm: 8, apns: 8, email: 8, sms: 8, mqtt: 8 });
    expect(concurrency('2, email=1,sms=3')).toEqual({ webpush: 2, fcm: 2, apns: 2, email: 1, sms: 3, mqtt: 2 });
    expect(concurrency('webpush=16')).toEqual({ webpush: 16, fcm: 4, apns: 4, email: 4, sms: 4, mqtt: 4 });
    expect(concurrency('mqtt=8')).toEqual({ webpush: 4, fcm: 4, apns: 4, email: 4, sms: 4, mqtt: 8 });
  });

  it('refuses, naming the variable and the part, a count out of 1..256, an unknown channel, a second bare count', () => {
    for (const [value, why] of [
      ['0', /"0": a count must be an integer between 1 and 256/],
      ['257', /between 1 and 256/],
      ['email=two', /"email=two"/],
      ['4,fax=2', /"fax=2": unknown channel/],
      ['4,2', /"2": only the first entry may be a bare count/],
    ] as const) {
      const out = concurrency(value);
      expect(typeof out, value).toBe('string');
      expect(out).toMatch(/MSGXC_DISPATCH_CONCURRENCY/);
      expect(out).toMatch(why);
    }
  });
});
