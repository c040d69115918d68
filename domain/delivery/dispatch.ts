import type { UnitState } from '../../schema/delivery-state.js';
import type { DeliveryEvent } from '../../schema/triage-events.js';
import { nextStep } from '../triage/escalation.js';
import type { StepMarkers } from '../triage/escalation.js';
import { afterOutcome } from '../triage/retry.js';
import type { ProviderOutcome, RetryPolicy } from '../triage/retry.js';
import type { SkipReason } from '../triage/types.js';
import { append, ignore } from './intents.js';
import type { Append, Intent } from './intents.js';
import { outcomeEvents, refData } from './outcomes.js';
import type { Ref } from './outcomes.js';

// The dispatch workflow of one delivery unit (stream `delivery-<key>`, or `digest-<key>` for
// a digest: domain/delivery/digest.ts): its state is the unit as folded (units.ts). When the
// unit comes due, decide whether it still should happen (skip with the reason, wait, or send
// after claiming it); when the provider answered, decide what the answer means (done, retry
// later, give up, revoke the device). A claim is appended at the unit's revision before the
// provider is called, so only one dispatcher ever sends a given attempt.

/** Who is dispatching: claims carry it, and a claim of an earlier run of the same node has lapsed. */
export interface Dispatcher {
  readonly node: string;
  readonly run: string;
  readonly leaseMs: number;
}

export interface StepDue {
  readonly now: number;
  readonly markers: StepMarkers;
  readonly by: Dispatcher;
}

export interface ProviderAnswered {
  readonly now: number;
  /** The channel's outcome; undefined when it gave none for this delivery. */
  readonly outcome: ProviderOutcome | undefined;
  /** The claim this answer is for: its attempt (0-based) and the revision it was appended at. */
  readonly attempt: number;
  readonly revision: number;
  readonly policy: RetryPolicy;
  /** Jitter in [0, 1). */
  readonly random: number;
}

/** Where the unit's facts are written (a step's group stream, a digest's or a member's own). */
export const streamOfUnit = (u: Pick<UnitState, 'stream'>): string => u.stream;

/** The window a digest (or one of its members) belongs to: the last part of the digest's key. */
export const windowOf = (digestKey: string): string => digestKey.slice(digestKey.lastIndexOf('/') + 1);

export const refOfStep = (u: UnitState): Ref =>
  refData({
    key: u.key,
    uid: u.uid,
    channel: u.channel,
    ...(u.mid === null ? {} : { mid: u.mid }),
    ...(u.deviceId === null ? {} : { deviceId: u.deviceId }),
    ...(u.kind === 'member' && u.digest !== null ? { digest: windowOf(u.digest) } : {}),
  });

/** Why a due unit is left alone, or undefined when it is this dispatcher's to handle. */
export const untouchable = (u: UnitState, by: Dispatcher, now: number): string | undefined => {
  const s = u.stage;
  if (s.status === 'claimed') {
    const earlierRun = s.node === by.node && s.run !== by.run;
    return earlierRun || s.leaseUntil <= now ? undefined : 'claimed';
  }
  return s.status === 'pending' ? undefined : s.status;
};

export const skipOf = (u: UnitState, ref: Ref, reason: SkipReason): Append =>
  append(streamOfUnit(u), u.revision, [{ type: 'DeliverySkipped', data: { ...ref, reason } }]);

// A job claims its units at one `now`: their lease ends at the same instant, formatted once.
let lastLease = { at: Number.NaN, iso: '' };
export const leaseIso = (at: number): string => {
  if (lastLease.at !== at) lastLease = { at, iso: new Date(at).toISOString() };
  return lastLease.iso;
};

type Claimed = { readonly ref: Ref; readonly attempt: number } | undefined;
// Asked of the same claim at each step of its send (job, claim, answer): worked out once, or
// known when the claim is made (decideStep).
const claims = new WeakMap<Append, Claimed>();

export const claimOf = (u: UnitState, ref: Ref, by: Dispatcher, now: number): Append => {
  const leaseUntil = leaseIso(now + by.leaseMs);
  const claim: DeliveryEvent = {
    type: 'DeliveryAttempted',
    data: { ...ref, attempt: u.attempt, node: by.node, run: by.run, leaseUntil },
  };
  return append(streamOfUnit(u), u.revision, [claim]);
};

/** A step came due (its timer fired): skip it, leave it, or claim it and send. */
export const decideStep = (cmd: StepDue, u: UnitState): Intent => {
  const left = untouchable(u, cmd.by, cmd.now);
  if (left !== undefined) return ignore(left);
  const next = nextStep(u, cmd.markers, cmd.now);
  switch (next.kind) {
    case 'skip':
      return skipOf(u, refOfStep(u), next.reason);
    case 'wait':
      return ignore('not due yet');
    case 'send': {
      // What `claimedBy` would read back from the claim: the ref it was made from (refData's).
      const ref = refOfStep(u);
      const claim = claimOf(u, ref, cmd.by, cmd.now);
      claims.set(claim, { ref, attempt: u.attempt });
      return { kind: 'send', claim };
    }
    default: {
      const unhandled: never = next;
      return unhandled;
    }
  }
};

/** The provider answered a claimed attempt: record what it means, at the claim's revision. */
export const decideAnswer = (cmd: ProviderAnswered, u: UnitState, ref: Ref): Intent[] => {
  const answer: ProviderOutcome = cmd.outcome ?? { kind: 'retry', afterMs: 0, reason: 'the channel gave no outcome' };
  const decision = afterOutcome(
    answer,
    { attempt: cmd.attempt, expiresAt: u.expiresAt },
    cmd.policy,
    cmd.now,
    cmd.random,
  );
  const recorded = append(streamOfUnit(u), cmd.revision, outcomeEvents(ref, cmd.attempt, answer, decision));
  if (decision.kind !== 'gone' || u.deviceId === null) return [recorded];
  return [recorded, { kind: 'revoke', uid: u.uid, deviceId: u.deviceId, reason: decision.reason }];
};

const readClaim = (claim: Append): Claimed => {
  const e = claim.events[0];
  if (e?.type !== 'DeliveryAttempted') return undefined;
  const { key, uid, channel, mid, deviceId, mids, digest, attempt } = e.data;
  const ref = refData({
    key,
    uid,
    channel,
    ...(mid === undefined ? {} : { mid }),
    ...(deviceId === undefined ? {} : { deviceId }),
    ...(mids === undefined ? {} : { mids }),
    ...(digest === undefined ? {} : { digest }),
  });
  return { ref, attempt };
};

/** What a claim (the `send` intent's Append) says: the unit's ref and the attempt it claims. */
export const claimedBy = (claim: Append): Claimed => {
  if (claims.has(claim)) return claims.get(claim);
  const found = readClaim(claim);
  claims.set(claim, found);
  return found;
};
