import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { afterOutcome, backoff, DEFAULT_RETRY_POLICY } from '../../../domain/triage/retry.js';
import type { RetryPolicy } from '../../../domain/triage/retry.js';
import { HOUR, T0 } from './fixtures.js';

const policy: RetryPolicy = { maxAttempts: 4, baseMs: 1_000, maxMs: 60_000, unreachableMaxMs: 10_000 };
const step = (attempt: number, expiresAt = T0 + HOUR) => ({ attempt, expiresAt });

describe('afterOutcome', () => {
  it('a delivery succeeds, with the provider id when there is one', () => {
    expect(afterOutcome({ kind: 'delivered', providerId: 'p-1' }, step(0), policy, T0, 0.5)).toEqual({
      kind: 'succeeded',
      providerId: 'p-1',
    });
    expect(afterOutcome({ kind: 'delivered' }, step(0), policy, T0, 0.5)).toEqual({ kind: 'succeeded' });
  });
  it('a permanent failure gives up with the provider reason; a gone device is revoked', () => {
    expect(afterOutcome({ kind: 'failed', reason: 'InvalidPayload' }, step(0), policy, T0, 0.5)).toEqual({
      kind: 'give-up',
      reason: 'InvalidPayload',
    });
    expect(afterOutcome({ kind: 'gone', reason: 'Unregistered' }, step(0), policy, T0, 0.5)).toEqual({
      kind: 'gone',
      reason: 'Unregistered',
    });
  });
  it('retries with exponential backoff and jitter: half the delay for sure, the rest random', () => {
    expect(afterOutcome({ kind: 'retry', afterMs: 0, reason: '503' }, step(0), policy, T0, 0)).toEqual({
      kind: 'retry',
      afterMs: 500,
      at: T0 + 500,
      reason: '503',
    });
    expect(afterOutcome({ kind: 'retry', afterMs: 0, reason: '503' }, step(2), policy, T0, 0.999)).toMatchObject({
      kind: 'retry',
      afterMs: 3_998,
    });
  });
  it("never sooner than the provider's Retry-After", () => {
    expect(afterOutcome({ kind: 'retry', afterMs: 120_000, reason: '429' }, step(0), policy, T0, 0.5)).toEqual({
      kind: 'retry',
      afterMs: 120_000,
      at: T0 + 120_000,
      reason: '429',
    });
  });
  it('gives up after the last attempt, and when the message would expire before the next one', () => {
    expect(afterOutcome({ kind: 'retry', afterMs: 0, reason: '503' }, step(3), policy, T0, 0.5)).toEqual({
      kind: 'give-up',
      reason: '503 (gave up after 4 attempts)',
    });
    expect(
      afterOutcome({ kind: 'retry', afterMs: 10_000, reason: '429' }, step(0, T0 + 5_000), policy, T0, 0.5),
    ).toEqual({ kind: 'give-up', reason: '429 (the message expires before the next attempt)' });
  });
  it('an unreachable provider is waited for until the message expires, never past the cap between attempts', () => {
    const down = { kind: 'retry', afterMs: 3_600_000, reason: 'broker not connected', unreachable: true } as const;
    // Past maxAttempts (4), still retried: the delivery did nothing wrong.
    expect(afterOutcome(down, step(40), policy, T0, 0.5)).toEqual({
      kind: 'retry',
      afterMs: 10_000,
      at: T0 + 10_000,
      reason: 'broker not connected',
    });
    expect(afterOutcome({ ...down, afterMs: 0 }, step(0), policy, T0, 0)).toMatchObject({
      kind: 'retry',
      afterMs: 500,
    });
    // The expiry still ends it, as for every retry.
    expect(afterOutcome(down, step(40, T0 + 5_000), policy, T0, 0.5)).toEqual({
      kind: 'give-up',
      reason: 'broker not connected (the message expires before the next attempt)',
    });
    // The same answer without the flag gives up after the last attempt.
    expect(afterOutcome({ ...down, unreachable: false }, step(3), policy, T0, 0.5)).toMatchObject({ kind: 'give-up' });
  });
  it('property: the backoff stays within [exp/2, exp] and is capped', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), fc.double({ min: 0, max: 0.9999, noNaN: true }), (attempt, r) => {
        const exp = Math.min(DEFAULT_RETRY_POLICY.maxMs, DEFAULT_RETRY_POLICY.baseMs * 2 ** Math.min(attempt, 30));
        const b = backoff(attempt, DEFAULT_RETRY_POLICY, r);
        return b >= Math.floor(exp / 2) && b <= exp;
      }),
    );
  });
});
