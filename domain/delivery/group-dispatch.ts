import { LIMITS, clip } from '../../schema/bounds.js';
import { asDeviceId, asUserId } from '../../schema/ids.js';
import type { UnitState } from '../../schema/delivery-state.js';
import type { ClaimEntry, OutcomeEntry, SkipEntry } from '../../schema/triage-events.js';
import { nextStep } from '../triage/escalation.js';
import { afterOutcome } from '../triage/retry.js';
import type { ProviderOutcome } from '../triage/retry.js';
import type { ProviderAnswered, StepDue } from './dispatch.js';
import { leaseIso, untouchable } from './dispatch.js';

// The dispatch workflow of a grouped step (a unit of a group stream, `deliveries-<mid>/<channel>/
// <batch>`), decided straight as its entry in the group's batched events (issue 13): the same
// decisions as `decideStep` and `decideAnswer` (dispatch.ts), whose per-unit events the writer
// otherwise compacts into these same entries again (batches.ts `compact`). A broadcast makes
// hundreds of thousands of them, and building each unit's event to take it apart at once was a
// tenth of dispatch's work. test/unit/delivery/group-dispatch.unit.test.ts holds each answer
// equal to the compacted per-unit one.

/** Whose claim: a job's claims share one. */
export interface Lease {
  readonly node: string;
  readonly run: string;
  readonly leaseUntil: string;
}

/** One unit's part of a group's batched events (one entry; a claim with its lease). */
export type GroupPart =
  | { readonly kind: 'skip'; readonly entry: SkipEntry }
  | { readonly kind: 'claim'; readonly lease: Lease; readonly entry: ClaimEntry }
  | { readonly kind: 'outcome'; readonly entry: OutcomeEntry };

export type GroupStepIntent =
  | Extract<GroupPart, { kind: 'skip' | 'claim' }>
  | { readonly kind: 'ignore'; readonly reason: string };

/** What an answer means for a grouped step, and the device to revoke when it is gone. */
export interface GroupAnswer {
  readonly part: Extract<GroupPart, { kind: 'outcome' }>;
  readonly revoke?: {
    readonly kind: 'revoke';
    readonly uid: string;
    readonly deviceId: string;
    readonly reason: string;
  };
}

// An entry's keys: the step's uid (and device) first, then the decision's (the log's bytes stay
// the same). Each entry is one object, its later keys set in order, not a spread of a `who`
// object: a broadcast decides two entries per delivery (claim, outcome), and the spreads were
// 2.5 % of the main thread in the triage bench's profile (issue 13).
type Mutable<T> = { -readonly [K in keyof T]: T[K] };
const skipEntry = (u: UnitState, reason: SkipEntry['reason']): SkipEntry =>
  u.deviceId === null
    ? { uid: asUserId(u.uid), reason }
    : { uid: asUserId(u.uid), deviceId: asDeviceId(u.deviceId), reason };
const attemptEntry = (u: UnitState, attempt: number): Mutable<OutcomeEntry> =>
  u.deviceId === null
    ? { uid: asUserId(u.uid), attempt }
    : { uid: asUserId(u.uid), deviceId: asDeviceId(u.deviceId), attempt };

/** A grouped step came due: `decideStep`, as the group's entry (skip, or claim and send). */
export const decideGroupStep = (cmd: StepDue, u: UnitState): GroupStepIntent => {
  const left = untouchable(u, cmd.by, cmd.now);
  if (left !== undefined) return { kind: 'ignore', reason: left };
  const next = nextStep(u, cmd.markers, cmd.now);
  switch (next.kind) {
    case 'skip':
      return { kind: 'skip', entry: skipEntry(u, next.reason) };
    case 'wait':
      return { kind: 'ignore', reason: 'not due yet' };
    case 'send': {
      const lease = { node: cmd.by.node, run: cmd.by.run, leaseUntil: leaseIso(cmd.now + cmd.by.leaseMs) };
      return { kind: 'claim', lease, entry: attemptEntry(u, u.attempt) };
    }
    default: {
      const unhandled: never = next;
      return unhandled;
    }
  }
};

/** The provider answered a grouped step's claim: `decideAnswer`, as the group's entry. */
export const decideGroupAnswer = (cmd: ProviderAnswered, u: UnitState): GroupAnswer => {
  const answer: ProviderOutcome = cmd.outcome ?? { kind: 'retry', afterMs: 0, reason: 'the channel gave no outcome' };
  const { attempt } = cmd;
  const decision = afterOutcome(answer, { attempt, expiresAt: u.expiresAt }, cmd.policy, cmd.now, cmd.random);
  const failed = (reason: string) => ({
    reason: clip(reason, LIMITS.reason),
    outcome: answer.kind === 'delivered' ? ('failed' as const) : answer.kind,
  });
  // The keys in the order `compact` gives them (the log's bytes stay the same).
  const entry = attemptEntry(u, attempt);
  switch (decision.kind) {
    case 'succeeded':
      entry.sent = decision.providerId === undefined ? {} : { providerId: clip(decision.providerId, LIMITS.reference) };
      break;
    case 'retry':
      entry.failed = failed(decision.reason);
      entry.retry = { afterMs: decision.afterMs, at: new Date(decision.at).toISOString() };
      break;
    case 'give-up':
    case 'gone':
      entry.failed = failed('reason' in answer ? answer.reason : decision.reason);
      entry.gaveUp = { attempts: attempt + 1, reason: clip(decision.reason, LIMITS.reason) };
      break;
    default: {
      const unhandled: never = decision;
      return unhandled;
    }
  }
  const part = { kind: 'outcome', entry } as const;
  if (decision.kind !== 'gone' || u.deviceId === null) return { part };
  return { part, revoke: { kind: 'revoke', uid: u.uid, deviceId: u.deviceId, reason: decision.reason } };
};
