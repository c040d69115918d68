import fc from 'fast-check';
import { channelNames, device, prefsOver } from './arbitraries.js';
import { describe, expect, it } from 'vitest';
import { triageConfig } from '../../../domain/triage/config.js';
import { planDelivery } from '../../../domain/triage/plan.js';
import { userAllows } from '../../../domain/triage/preferences.js';
import type { MessageFacts, RecipientFacts } from '../../../domain/triage/types.js';
import { T0 } from './fixtures.js';

const channelName = channelNames(false);
const prefs = prefsOver(channelName);
const recipient = fc.record({
  uid: fc.constantFrom('a', 'b', 'c'),
  online: fc.boolean(),
  devices: fc.uniqueArray(device, { selector: (d) => d.deviceId, maxLength: 3 }),
  hasEmail: fc.boolean(),
  hasCell: fc.boolean(),
  channels: prefs,
}) satisfies fc.Arbitrary<RecipientFacts>;
const message = fc
  .record({
    mid: fc.constant('m'),
    urgency: fc.constantFrom(1, 2, 3, 4),
    due: fc.integer({ min: T0, max: T0 + 1e9 }),
    ttlSeconds: fc.option(fc.integer({ min: 0, max: 7 * 86_400 }), { nil: undefined }),
  })
  .map(({ ttlSeconds, ...m }): MessageFacts => ({ ...m, ...(ttlSeconds === undefined ? {} : { ttlSeconds }) }));
const config = triageConfig();

describe('planDelivery properties', () => {
  it('no step is ever planned after expiry, nor before the message is due', () => {
    fc.assert(
      fc.property(message, fc.array(recipient, { maxLength: 5 }), fc.integer({ min: 0, max: 2e9 }), (m, rs, dt) => {
        const plan = planDelivery(m, rs, config, T0 + dt);
        return plan.recipients.every((r) => r.steps.every((s) => s.at >= m.due && s.at <= plan.expiresAt));
      }),
    );
  });
  it('no step on a channel the recipient opted out of; every device at most once', () => {
    fc.assert(
      fc.property(message, recipient, (m, r) => {
        const steps = planDelivery(m, [r], config, m.due).recipients[0]?.steps ?? [];
        const devices = steps.flatMap((s) => (s.deviceId === undefined ? [] : [s.deviceId]));
        return steps.every((s) => userAllows(r, s.channel)) && new Set(devices).size === devices.length;
      }),
    );
  });
  it('a live session always gets the websocket first, at once; high urgency has every step at once', () => {
    fc.assert(
      fc.property(message, recipient, (m, r) => {
        const steps = planDelivery(m, [r], config, m.due).recipients[0]?.steps ?? [];
        if (r.online) expect(steps[0]).toEqual({ channel: 'websocket', at: m.due, reason: 'live-session' });
        if (m.urgency === 4) expect(steps.every((s) => s.at === m.due)).toBe(true);
      }),
    );
  });
});
