import fc from 'fast-check';
import { channelNames, device, prefsOver } from './arbitraries.js';
import { describe, expect, it } from 'vitest';
import { triageConfig } from '../../../domain/triage/config.js';
import type { TriageConfig } from '../../../domain/triage/config.js';
import { digestWindow, expiryOf } from '../../../domain/triage/message.js';
import { planDelivery } from '../../../domain/triage/plan.js';
import { nearlineOrder, threadAllows, userAllows } from '../../../domain/triage/preferences.js';
import { quietUntil } from '../../../domain/triage/quiet-hours.js';
import { userTopicStep } from '../../../domain/triage/topics.js';
import type {
  MessageFacts,
  PlannedStep,
  RecipientFacts,
  RecipientPlan,
  StepChannel,
  StepReason,
} from '../../../domain/triage/types.js';
import { T0 } from './fixtures.js';

// domain/triage/plan.ts plans a recipient with loops instead of filtered copies and closures
// (issue 13: fewer allocations per recipient of a broadcast). Its answer must be the one the
// earlier code gave, step for step and key for key: that code is kept here, as it was, as the
// reference, and both plan the same generated messages and recipients (devices and opt-outs,
// thread lists and fallbacks, MQTT, quiet hours in zones, digests, expiry, every urgency).
const referencePlan = (m: MessageFacts, recipients: readonly RecipientFacts[], config: TriageConfig, now: number) => {
  const expiresAt = expiryOf(m, config);
  if (now > expiresAt)
    return { expiresAt, recipients: recipients.map((r) => ({ uid: r.uid, online: r.online, steps: [] })) };
  const start = Math.max(m.due, now);
  const topicRule = config.available.includes('mqtt') && threadAllows(m.thread, 'mqtt');
  const nearlineRule = nearlineOrder(m.thread, config);
  const one = (r: RecipientFacts): RecipientPlan => {
    if (!topicRule && r.devices.length === 0 && !r.hasEmail && !r.hasCell)
      return {
        uid: r.uid,
        online: r.online,
        steps: r.online && start <= expiresAt ? [{ channel: 'websocket', at: start, reason: 'live-session' }] : [],
      };
    const level = config.urgency[m.urgency];
    const high = m.urgency === 4;
    const usable = (c: StepChannel): boolean => config.available.includes(c) && userAllows(r, c);
    const topic = userTopicStep(m, r, config, start);
    const devices = r.devices.filter((d) => usable(d.channel) && threadAllows(m.thread, d.channel));
    const nearline = nearlineRule.filter((c) => usable(c) && (c === 'email' ? r.hasEmail : r.hasCell));
    const quiet = (at: number): Pick<PlannedStep, 'at' | 'deferred'> => {
      const until = quietUntil(at, m.urgency, r.quietHours, r.timezone);
      return until === undefined ? { at } : { at: until, deferred: { reason: 'quiet-hours', from: at } };
    };
    const stepAt = (channel: StepChannel, time: Pick<PlannedStep, 'at' | 'deferred'>, reason: StepReason) => {
      const step: { -readonly [K in keyof PlannedStep]: PlannedStep[K] } = { channel, at: time.at, reason };
      if (time.deferred !== undefined) step.deferred = time.deferred;
      return step;
    };
    const steps: PlannedStep[] = [];
    if (r.online) steps.push({ channel: 'websocket', at: start, reason: 'live-session' });
    if (topic !== undefined) steps.push(topic);
    const pushAt = high || !r.online ? start : start + level.pushDelayMs;
    const pushReason: StepReason = high ? 'high-urgency' : r.online ? 'unseen' : 'offline';
    const pushTime = quiet(pushAt);
    for (const d of devices) {
      const step = stepAt(d.channel, pushTime, pushReason);
      step.deviceId = d.deviceId;
      steps.push(step);
    }
    const atOnce = high || (!r.online && devices.length === 0);
    const nearlineReason: StepReason = high ? 'high-urgency' : atOnce ? 'no-device' : 'unread';
    nearline.forEach((channel, k) => {
      const time = quiet(high ? start : (atOnce ? start : start + level.nearlineDelayMs) + k * level.nearlineStepMs);
      const step = stepAt(channel, time, nearlineReason);
      if (level.digest && !high) {
        const window = digestWindow(time.at, config.digestWindowMs);
        step.at = window.end;
        step.digest = window.start;
      }
      steps.push(step);
    });
    const kept = steps.every((s) => s.at <= expiresAt) ? steps : steps.filter((s) => s.at <= expiresAt);
    return { uid: r.uid, online: r.online, steps: kept };
  };
  return { expiresAt, recipients: recipients.map(one) };
};

const channelName = channelNames(true);
const prefs = prefsOver(channelName);
const clock = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, mi]) => {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(h)}:${two(mi)}`;
});
const zone = fc.constantFrom('Asia/Tokyo', 'Europe/Paris', 'America/New_York', 'UTC', 'Not/AZone');
const recipient = fc
  .record({
    uid: fc.constantFrom('a', 'b', 'c'),
    online: fc.boolean(),
    devices: fc.uniqueArray(device, { selector: (d) => d.deviceId, maxLength: 3 }),
    hasEmail: fc.boolean(),
    hasCell: fc.boolean(),
    channels: prefs,
    threadChannels: fc.option(prefs, { nil: undefined }),
    timezone: fc.option(zone, { nil: undefined }),
    quietHours: fc.option(
      fc.record({ from: clock, to: clock, timezone: fc.option(zone, { nil: undefined }) }).map((q) => ({
        from: q.from,
        to: q.to,
        ...(q.timezone === undefined ? {} : { timezone: q.timezone }),
      })),
      { nil: undefined },
    ),
  })
  .map(
    ({ threadChannels, timezone, quietHours, ...r }): RecipientFacts => ({
      ...r,
      ...(threadChannels === undefined ? {} : { threadChannels }),
      ...(timezone === undefined ? {} : { timezone }),
      ...(quietHours === undefined ? {} : { quietHours }),
    }),
  );
const message = fc
  .record({
    urgency: fc.constantFrom(1, 2, 3, 4),
    due: fc.integer({ min: T0, max: T0 + 1e9 }),
    ttlSeconds: fc.option(fc.integer({ min: 0, max: 7 * 86_400 }), { nil: undefined }),
    thread: fc.option(fc.record({ channels: prefs, fallback: fc.array(channelName, { maxLength: 3 }) }), {
      nil: undefined,
    }),
  })
  .map(
    ({ ttlSeconds, thread, ...m }): MessageFacts => ({
      mid: 'm',
      ...m,
      ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
      ...(thread === undefined ? {} : { thread }),
    }),
  );
const configs = [
  triageConfig(),
  triageConfig({ available: ['websocket', 'apns', 'fcm', 'webpush', 'email', 'sms', 'mqtt'] }),
  triageConfig({ nearline: ['sms', 'email'], digestWindowMs: 600_000 }),
];

describe('planDelivery against the earlier code', () => {
  it('plans every recipient as it did: the same steps, times, reasons, deferrals and digests, in order', () => {
    let steps = 0;
    let deferred = 0;
    fc.assert(
      fc.property(
        message,
        fc.array(recipient, { maxLength: 6 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: -1e6, max: 2e9 }),
        (m, rs, c, dt) => {
          const config = configs[c] ?? triageConfig();
          const now = m.due + dt;
          const plan = planDelivery(m, rs, config, now);
          expect(JSON.stringify(plan)).toBe(JSON.stringify(referencePlan(m, rs, config, now)));
          for (const r of plan.recipients) {
            steps += r.steps.length;
            deferred += r.steps.filter((s) => s.deferred !== undefined).length;
          }
        },
      ),
      { numRuns: 2000 },
    );
    // The generated cases reach deferrals by quiet hours, not only plain steps.
    expect(steps).toBeGreaterThan(1000);
    expect(deferred).toBeGreaterThan(10);
  });
});
