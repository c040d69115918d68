import type { UnitState } from '../../schema/delivery-state.js';
import { LIMITS } from '../../schema/bounds.js';
import { nextStep } from '../triage/escalation.js';
import type { StepMarkers } from '../triage/escalation.js';
import type { SkipReason } from '../triage/types.js';
import { claimOf, refOfStep, skipOf, untouchable, windowOf } from './dispatch.js';
import type { Dispatcher } from './dispatch.js';
import { ignore } from './intents.js';
import type { Intent } from './intents.js';
import { refData } from './outcomes.js';

// The dispatch workflow of a digest (stream `digest-<uid>/<channel>/<window start>`): when its
// window closes, each waiting member (a very-low urgency message) is checked like a step of
// its own; the ones still wanted go out together as one delivery, the others are skipped on
// their own streams with the reason. The digest is then claimed and sent, or skipped when
// nothing is left to carry.

export interface DigestMember {
  readonly unit: UnitState;
  readonly markers: StepMarkers;
  /** The member's message is in the directory (otherwise it is left waiting). */
  readonly known: boolean;
}

export interface DigestDue {
  readonly now: number;
  readonly by: Dispatcher;
  /** The user's contact point for the channel still exists. */
  readonly reachable: boolean;
  /** Its members still pending. */
  readonly members: readonly DigestMember[];
}

// Newest first, as the digest shows them.
const newestFirst = (a: DigestMember, b: DigestMember): number =>
  b.unit.due - a.unit.due || (b.unit.mid ?? '').localeCompare(a.unit.mid ?? '');

/** Member skips first (each on its own stream), then the digest's own skip or claim-and-send, or an ignore. */
export const decideDigest = (cmd: DigestDue, digest: UnitState): Intent[] => {
  const left = untouchable(digest, cmd.by, cmd.now);
  if (left !== undefined) return [ignore(left)];
  const intents: Intent[] = [];
  const carried: string[] = [];
  const reasons: SkipReason[] = [];
  for (const m of [...cmd.members].filter((x) => x.known && x.unit.mid !== null).sort(newestFirst)) {
    const next = nextStep({ at: digest.at, expiresAt: m.unit.expiresAt }, m.markers, cmd.now);
    if (next.kind === 'wait') return [...intents, ignore('a member is not due yet')];
    if (next.kind === 'send') {
      // One digest carries at most LIMITS.recipients messages (its event's bound); the rest collapse into it.
      if (carried.length >= LIMITS.recipients) intents.push(skipOf(m.unit, refOfStep(m.unit), 'collapsed'));
      else carried.push(m.unit.mid ?? '');
      continue;
    }
    reasons.push(next.reason);
    intents.push(skipOf(m.unit, refOfStep(m.unit), next.reason));
  }
  const ref = refData({
    key: digest.key,
    uid: digest.uid,
    channel: digest.channel,
    mids: carried,
    digest: windowOf(digest.key),
  });
  if (carried.length === 0 || !cmd.reachable) return [...intents, skipOf(digest, ref, reasons[0] ?? 'expired')];
  return [...intents, { kind: 'send', claim: claimOf(digest, ref, cmd.by, cmd.now) }];
};
