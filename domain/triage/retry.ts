// What a provider's answer means for the step: done, try again later, or stop. Retries back
// off exponentially with jitter, never sooner than the provider's Retry-After (which the
// channel adapter reports as `afterMs`), and never past the message's expiry.

import type { ProviderOutcome } from '../../schema/provider-outcome.js';

export type { ProviderOutcome };

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
  /**
   * The longest wait between attempts while the provider is unreachable. Such attempts do not
   * count towards `maxAttempts` (the delivery did nothing wrong; only the message's expiry ends
   * the wait), and the short cap lets the sends resume soon after the provider is back.
   */
  readonly unreachableMaxMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 8,
  baseMs: 2_000,
  maxMs: 3_600_000,
  unreachableMaxMs: 60_000,
};

export type OutcomeDecision =
  | { readonly kind: 'succeeded'; readonly providerId?: string }
  | { readonly kind: 'retry'; readonly afterMs: number; readonly at: number; readonly reason: string }
  | { readonly kind: 'give-up'; readonly reason: string }
  /** The device no longer exists: give up and revoke it from the user. */
  | { readonly kind: 'gone'; readonly reason: string };

/**
 * "Equal jitter": half the exponential delay for sure, the other half random, so retries of
 * many steps that failed together spread out but never come back early. `random` is in [0, 1).
 */
export const backoff = (attempt: number, policy: RetryPolicy, random: number): number => {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(exp / 2 + (exp / 2) * random);
};

/** `attempt` is the 0-based number of the attempt that produced `outcome`. */
export const afterOutcome = (
  outcome: ProviderOutcome,
  step: { readonly attempt: number; readonly expiresAt: number },
  policy: RetryPolicy,
  now: number,
  random: number,
): OutcomeDecision => {
  switch (outcome.kind) {
    case 'delivered':
      return outcome.providerId === undefined
        ? { kind: 'succeeded' }
        : { kind: 'succeeded', providerId: outcome.providerId };
    case 'failed':
      return { kind: 'give-up', reason: outcome.reason };
    case 'gone':
      return { kind: 'gone', reason: outcome.reason };
    case 'retry': {
      const attempts = step.attempt + 1;
      const down = outcome.unreachable === true;
      if (attempts >= policy.maxAttempts && !down)
        return { kind: 'give-up', reason: `${outcome.reason} (gave up after ${attempts} attempts)` };
      const waitMs = Math.max(outcome.afterMs, backoff(step.attempt, policy, random));
      // An unreachable provider sends no Retry-After: wait at most the cap, to resume soon after it is back.
      const afterMs = down ? Math.min(policy.unreachableMaxMs, waitMs) : waitMs;
      const at = now + afterMs;
      if (at > step.expiresAt)
        return { kind: 'give-up', reason: `${outcome.reason} (the message expires before the next attempt)` };
      return { kind: 'retry', afterMs, at, reason: outcome.reason };
    }
    default: {
      const unhandled: never = outcome;
      return unhandled;
    }
  }
};
