import type { OutcomeDecision, ProviderOutcome } from '../triage/retry.js';
import { LIMITS, clip } from '../../schema/bounds.js';
import { asDeviceId, asMessageId, asUserId } from '../../schema/ids.js';
import type { DeliveryEvent, DispatchChannel, TriageEventOf } from '../../schema/triage-events.js';

// The events that record what happened to one unit (a step, or a digest window).
export type Ref = Omit<TriageEventOf<'DeliverySkipped'>['data'], 'reason'>;

export interface UnitRef {
  readonly key: string;
  readonly uid: string;
  readonly channel: DispatchChannel;
  readonly mid?: string;
  readonly deviceId?: string;
  readonly mids?: readonly string[];
  readonly digest?: string;
}

export const refData = (u: UnitRef): Ref => ({
  key: u.key,
  uid: asUserId(u.uid),
  channel: u.channel,
  ...(u.mid === undefined ? {} : { mid: asMessageId(u.mid) }),
  ...(u.deviceId === undefined ? {} : { deviceId: asDeviceId(u.deviceId) }),
  ...(u.mids === undefined ? {} : { mids: u.mids.map(asMessageId) }),
  ...(u.digest === undefined ? {} : { digest: u.digest }),
});

/** `attempt` is the 0-based number of the attempt that produced the outcome. */
export const outcomeEvents = (
  ref: Ref,
  attempt: number,
  outcome: ProviderOutcome,
  decision: OutcomeDecision,
): DeliveryEvent[] => {
  const failed = (reason: string): DeliveryEvent => ({
    type: 'DeliveryFailed',
    data: {
      ...ref,
      attempt,
      reason: clip(reason, LIMITS.reason),
      outcome: outcome.kind === 'delivered' ? 'failed' : outcome.kind,
    },
  });
  switch (decision.kind) {
    case 'succeeded':
      return [
        {
          type: 'DeliverySucceeded',
          data: {
            ...ref,
            attempt,
            ...(decision.providerId === undefined ? {} : { providerId: clip(decision.providerId, LIMITS.reference) }),
          },
        },
      ];
    case 'retry':
      return [
        failed(decision.reason),
        {
          type: 'DeliveryRetryScheduled',
          data: { ...ref, attempt: attempt + 1, afterMs: decision.afterMs, at: new Date(decision.at).toISOString() },
        },
      ];
    case 'give-up':
    case 'gone':
      return [
        failed('reason' in outcome ? outcome.reason : decision.reason),
        {
          type: 'DeliveryGivenUp',
          data: { ...ref, attempts: attempt + 1, reason: clip(decision.reason, LIMITS.reason) },
        },
      ];
    default: {
      const unhandled: never = decision;
      return unhandled;
    }
  }
};
