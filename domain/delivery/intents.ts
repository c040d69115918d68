import type { TriageEvent } from '../../schema/triage-events.js';

// What a delivery workflow decides, as data: the runner in delivery/ performs it and a test
// asserts it. A timer is never an intent of its own: it is a time named by an appended event
// (a step's `at`, a retry's `at`, a claim's lease), so scheduling is appending.

/** Append `events` to `stream` if it is still at `revision` (-1: no stream yet). */
export interface Append {
  readonly kind: 'append';
  readonly stream: string;
  readonly revision: number;
  readonly events: readonly TriageEvent[];
}

export type Intent =
  | Append
  /** Claim the unit (an Append of DeliveryAttempted), and only if the claim was appended, hand it to its channel. */
  | { readonly kind: 'send'; readonly claim: Append }
  /**
   * Revoke a device the provider reported gone, or another user enlisted (only the enlistment at
   * stream revision `enlisted`, then): the user command, through the write gateway.
   */
  | {
      readonly kind: 'revoke';
      readonly uid: string;
      readonly deviceId: string;
      readonly reason: string;
      readonly enlisted?: number;
    }
  /** Nothing to do, and why (a test reads the reason; the runner only counts it). */
  | { readonly kind: 'ignore'; readonly reason: string };

export const append = (stream: string, revision: number, events: readonly TriageEvent[]): Append => ({
  kind: 'append',
  stream,
  revision,
  events,
});

export const ignore = (reason: string): Intent => ({ kind: 'ignore', reason });
