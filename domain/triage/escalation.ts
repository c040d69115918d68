import type { SkipReason } from './types.js';

// Before every step the dispatcher asks whether it should still happen. The answer is data,
// so a test can assert it and the dispatcher only performs it.

export interface StepState {
  /** When the plan (or a retry) wants the step. */
  readonly at: number;
  readonly expiresAt: number;
}

/** What is known about the recipient and the message when the step comes due. */
export interface StepMarkers {
  /** The message was cancelled or retracted. */
  readonly cancelled: boolean;
  /** Seen on any device or channel (websocket, push click, a `seen` receipt). */
  readonly seen: boolean;
  /** Read (a `read` or `clicked` receipt, or a last-read marker at or past the message). */
  readonly read: boolean;
  /** A newer message with the same collapse key was triaged for this recipient. */
  readonly collapsed: boolean;
  /** The recipient's current preferences exclude the channel. */
  readonly optedOut: boolean;
  /** The device is still enlisted, or the contact point still set. */
  readonly reachable: boolean;
}

export type NextStep =
  | { readonly kind: 'send' }
  | { readonly kind: 'skip'; readonly reason: SkipReason }
  | { readonly kind: 'wait'; readonly until: number };

const skip = (reason: SkipReason): NextStep => ({ kind: 'skip', reason });

// Order: what ends the whole chain (cancelled, read, seen, replaced, expired) before what
// ends this channel only, and all of them before waiting, so a step that can never happen
// is settled as soon as it is looked at.
export const nextStep = (step: StepState, m: StepMarkers, now: number): NextStep => {
  if (m.cancelled) return skip('cancelled');
  if (m.read) return skip('read');
  if (m.seen) return skip('seen');
  if (m.collapsed) return skip('collapsed');
  if (now > step.expiresAt) return skip('expired');
  if (m.optedOut) return skip('opted-out');
  if (!m.reachable) return skip('unreachable');
  if (step.at > now) return { kind: 'wait', until: step.at };
  return { kind: 'send' };
};
