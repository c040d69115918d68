import { expect } from 'vitest';
import { triageConfig } from '../../../domain/triage/config.js';
import type { TriageConfigOverrides } from '../../../domain/triage/config.js';
import { planDelivery } from '../../../domain/triage/plan.js';
import type { MessageFacts, PlannedStep, RecipientFacts } from '../../../domain/triage/types.js';

export const T0 = Date.parse('2030-01-01T00:00:00.000Z');
export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

export const message = (over: Partial<MessageFacts> = {}): MessageFacts => ({
  mid: 'm-1',
  urgency: 3,
  due: T0,
  ...over,
});

export const recipient = (over: Partial<RecipientFacts> = {}): RecipientFacts => ({
  uid: 'bob',
  online: false,
  devices: [],
  hasEmail: false,
  hasCell: false,
  channels: [],
  ...over,
});

export const phone = { deviceId: 'd-iphone', channel: 'apns' } as const;
export const pixel = { deviceId: 'd-pixel', channel: 'fcm' } as const;
export const browser = { deviceId: 'd-browser', channel: 'webpush' } as const;

/** A step as a test states it: offsets from T0 read better than instants. */
export const step = (
  channel: PlannedStep['channel'],
  afterMs: number,
  reason: PlannedStep['reason'],
  extra: Partial<PlannedStep> = {},
): PlannedStep => ({ channel, at: T0 + afterMs, reason, ...extra });

/**
 * Given a message and a recipient, when triage plans at `now` (the message's due time unless
 * said), then the recipient's steps are exactly these, in plan order.
 */
export const given = (m: MessageFacts, config: TriageConfigOverrides = {}) => ({
  and: (r: RecipientFacts) => ({
    when: (now: number = m.due) => ({
      then: (expected: readonly PlannedStep[]): void => {
        const plan = planDelivery(m, [r], triageConfig(config), now);
        expect(plan.recipients).toEqual([{ uid: r.uid, online: r.online, steps: expected }]);
      },
    }),
  }),
});
