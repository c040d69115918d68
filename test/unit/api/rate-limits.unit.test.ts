import { describe, expect, it } from 'vitest';
import { createBucketTable, createRateLimiter } from '../../../api/rate-limits.js';
import { DEFAULT_LIMITS, type RateLimits } from '../../../schema/config-limits.js';

const alice = { uid: 'alice', roles: [] };
const root = { uid: 'root', roles: ['admin'] };

describe('a token bucket', () => {
  it('gives its burst at once, then refuses with the time until the next token, refilling at the rate', () => {
    const t = createBucketTable({ perSec: 10, burst: 3 }, 100);
    expect([t.take('k', 0), t.take('k', 0), t.take('k', 0)]).toEqual([0, 0, 0]);
    expect(t.take('k', 0)).toBeCloseTo(100);
    expect(t.take('k', 60)).toBeCloseTo(40);
    expect(t.take('k', 100)).toBe(0);
    // A second of rest refills the burst, never more.
    expect([1, 2, 3, 4].map(() => t.take('k', 10_100))).toEqual([0, 0, 0, 100]);
  });

  it('peek neither takes nor creates a bucket', () => {
    const t = createBucketTable({ perSec: 1, burst: 1 }, 100);
    expect(t.peek('k', 0)).toBe(0);
    expect(t.size()).toBe(0);
    t.take('k', 0);
    expect(t.peek('k', 0)).toBeCloseTo(1000);
    expect(t.peek('k', 500)).toBeCloseTo(500);
    expect(t.take('k', 1000)).toBe(0);
  });

  it('holds at most its table size whatever keys are sent, and keeps a key that keeps coming', () => {
    const t = createBucketTable({ perSec: 1, burst: 2 }, 1000);
    t.take('busy', 0);
    t.take('busy', 0);
    for (let i = 0; i < 100_000; i += 1) {
      t.take(`attacker-${i}`, 0);
      if (i % 400 === 0) {
        expect(t.take('busy', 0)).toBeGreaterThan(0);
        expect(t.size()).toBeLessThanOrEqual(1000);
      }
    }
    expect(t.size()).toBeLessThanOrEqual(1000);
    // Still empty: it was never forgotten, so churning keys did not hand it a fresh burst.
    expect(t.take('busy', 0)).toBeGreaterThan(0);
  });
});

describe('the rate limiter', () => {
  const limits = (over: Partial<RateLimits> = {}): RateLimits => ({ ...DEFAULT_LIMITS.rates, ...over });

  it('counts writes and reads of a user apart, and users apart from each other', () => {
    const r = createRateLimiter(limits({ userWrites: { perSec: 1, burst: 2 }, userReads: { perSec: 1, burst: 1 } }));
    expect(r.caller(alice, 'write', 0)).toBeUndefined();
    expect(r.caller(alice, 'write', 0)).toBeUndefined();
    expect(r.caller(alice, 'write', 0)).toEqual({
      limit: 'user-writes',
      setting: 'MSGXC_RATE_USER_WRITES',
      rate: { perSec: 1, burst: 2 },
      retryAfterSec: 1,
    });
    expect(r.caller(alice, 'read', 0)).toBeUndefined();
    expect(r.caller(alice, 'read', 0)).toMatchObject({ limit: 'user-reads' });
    expect(r.caller({ uid: 'bob', roles: [] }, 'write', 0)).toBeUndefined();
  });

  it('answers whole seconds to wait, rounded up', () => {
    const r = createRateLimiter(limits({ userWrites: { perSec: 0.25, burst: 1 } }));
    r.caller(alice, 'write', 0);
    expect(r.caller(alice, 'write', 0)?.retryAfterSec).toBe(4);
    expect(r.caller(alice, 'write', 2500)?.retryAfterSec).toBe(2);
  });

  it('exempts admins unless MSGXC_RATE_ADMIN gives them their own limit', () => {
    const exempt = createRateLimiter(limits({ userWrites: { perSec: 1, burst: 1 } }));
    for (let i = 0; i < 1000; i += 1) expect(exempt.caller(root, 'write', 0)).toBeUndefined();
    const own = createRateLimiter(limits({ userWrites: { perSec: 1, burst: 1 }, admin: { perSec: 1, burst: 3 } }));
    expect([1, 2, 3].map(() => own.caller(root, 'write', 0))).toEqual([undefined, undefined, undefined]);
    expect(own.caller(root, 'read', 0)).toMatchObject({ limit: 'admin', setting: 'MSGXC_RATE_ADMIN' });
  });

  it('spends an address budget only on failed authentication, and blocks it only once spent', () => {
    const r = createRateLimiter(limits({ ip: { perSec: 1, burst: 2 } }));
    expect(r.addressBlocked('1.2.3.4', 0)).toBeUndefined();
    r.addressFailed('1.2.3.4', 0);
    expect(r.addressBlocked('1.2.3.4', 0)).toBeUndefined();
    r.addressFailed('1.2.3.4', 0);
    expect(r.addressBlocked('1.2.3.4', 0)).toMatchObject({ limit: 'ip', setting: 'MSGXC_RATE_IP', retryAfterSec: 1 });
    expect(r.addressBlocked('1.2.3.5', 0)).toBeUndefined();
    expect(r.addressBlocked('1.2.3.4', 1000)).toBeUndefined();
  });

  it('does nothing for a limit that is off', () => {
    const r = createRateLimiter(limits({ userWrites: 'off', ip: 'off' }));
    for (let i = 0; i < 1000; i += 1) {
      expect(r.caller(alice, 'write', 0)).toBeUndefined();
      r.addressFailed('1.2.3.4', 0);
    }
    expect(r.addressBlocked('1.2.3.4', 0)).toBeUndefined();
    expect(r.size()).toBe(0);
  });
});
