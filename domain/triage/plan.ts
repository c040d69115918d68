import type { TriageConfig } from './config.js';
import { userTopicStep } from './topics.js';
import { digestWindow, expiryOf } from './message.js';
import { nearlineOrder, threadAllows, userAllows } from './preferences.js';
import { quietUntil } from './quiet-hours.js';
import { recipientLocal } from '../local-schedule.js';
import type {
  MessageFacts,
  MessagePlan,
  NearlineChannel,
  PlannedStep,
  RecipientFacts,
  RecipientPlan,
  StepChannel,
  StepReason,
} from './types.js';

// The delivery plan: for each recipient, which channel at what time and why. Nothing here
// checks receipts; the plan is the chain as it would run if nobody ever looked, and the
// dispatcher asks `nextStep` before each step whether it still should.
//
// - High urgency (4): every allowed channel at once.
// - A live session: the websocket at once; push only after the push delay (if still unseen).
// - No live session: push at once on every enlisted device not opted out of.
// - Nearline (email, then SMS, where the contact point exists and is not opted out) after
//   the nearline delay, one channel per nearline step; at once when there is neither a
//   session nor a device. Very-low urgency nearline waits for the end of its digest window.
// - MQTT (when configured, domain/triage/topics.ts): the user's topic at once.
// - Quiet hours (domain/triage/quiet-hours.ts): a non-urgent push, email or SMS step that falls
//   in the recipient's quiet hours is moved to their end, and says so (`deferred`).
// - Nothing is planned after the message expires.

// What a message's rules say before any recipient is looked at, worked out once per message
// (not once per recipient): a recipient with no device and no contact point, when the message
// has no MQTT topic to plan, can only get the websocket, so their plan needs none of the rest.
interface MessageRules {
  readonly m: MessageFacts;
  readonly config: TriageConfig;
  readonly expiresAt: number;
  /** MQTT is configured and the thread allows it: each recipient's own preference decides. */
  readonly topic: boolean;
  /** The nearline channels in escalation order for the message's thread (each recipient's opt-outs then apply). */
  readonly nearline: readonly NearlineChannel[];
}

const rulesOf = (m: MessageFacts, config: TriageConfig, expiresAt: number): MessageRules => ({
  m,
  config,
  expiresAt,
  topic: config.available.includes('mqtt') && threadAllows(m.thread, 'mqtt'),
  nearline: nearlineOrder(m.thread, config),
});

/**
 * Whether a recipient's plan is the websocket alone whatever the message, as long as the message
 * plans no MQTT topic and has no local schedule (`splitsLive`): no device, no contact point. Such
 * a recipient, online, is planned only the websocket at the start, live (issue 15: triage then
 * need not plan them one by one, domain/delivery/triage.ts `LiveSplit`).
 */
export const onlyWebsocket = (r: RecipientFacts): boolean => r.devices.length === 0 && !r.hasEmail && !r.hasCell;

/** Whether `onlyWebsocket` recipients of this message get the plan `websocketOnly` gives. */
export const splitsLive = (m: MessageFacts, config: TriageConfig): boolean =>
  m.local === undefined && !rulesOf(m, config, 0).topic;

/** The plan of a recipient the websocket alone can reach (the common case of a chat thread). */
const websocketOnly = (r: RecipientFacts, start: number, expiresAt: number): RecipientPlan => ({
  uid: r.uid,
  online: r.online,
  steps: r.online && start <= expiresAt ? [{ channel: 'websocket', at: start, reason: 'live-session' }] : [],
});

// A step at a time (and its deferral, if any) as one object: spreading the time into each step
// made another object per step of a broadcast.
const stepAt = (
  channel: StepChannel,
  time: Pick<PlannedStep, 'at' | 'deferred'>,
  reason: StepReason,
): { -readonly [K in keyof PlannedStep]: PlannedStep[K] } => {
  const step: { -readonly [K in keyof PlannedStep]: PlannedStep[K] } = { channel, at: time.at, reason };
  if (time.deferred !== undefined) step.deferred = time.deferred;
  return step;
};

// The recipient may get the channel: configured, and not opted out of.
const usable = (config: TriageConfig, r: RecipientFacts, c: StepChannel): boolean =>
  config.available.includes(c) && userAllows(r, c);

// Quiet hours move a step to their end; a digest step's window is that of the moved time.
const quietTime = (m: MessageFacts, r: RecipientFacts, at: number): Pick<PlannedStep, 'at' | 'deferred'> => {
  const until = quietUntil(at, m.urgency, r.quietHours, r.timezone);
  return until === undefined ? { at } : { at: until, deferred: { reason: 'quiet-hours', from: at } };
};

// Loops over the recipient's devices and the message's nearline channels, not filtered copies
// and closures made per recipient: a broadcast plans every recipient, and those were about a
// third of what planning allocated (issue 13). The same steps in the same order.
const planRecipient = (rules: MessageRules, r: RecipientFacts, start: number): RecipientPlan => {
  const { m, config, expiresAt } = rules;
  if (!rules.topic && onlyWebsocket(r)) return websocketOnly(r, start, expiresAt);
  const level = config.urgency[m.urgency];
  const high = m.urgency === 4;
  const topic = userTopicStep(m, r, config, start);

  const steps: PlannedStep[] = [];
  if (r.online) steps.push({ channel: 'websocket', at: start, reason: 'live-session' });
  if (topic !== undefined) steps.push(topic);

  const pushAt = high || !r.online ? start : start + level.pushDelayMs;
  const pushReason: StepReason = high ? 'high-urgency' : r.online ? 'unseen' : 'offline';
  let pushTime: Pick<PlannedStep, 'at' | 'deferred'> | undefined;
  let pushed = 0;
  for (const d of r.devices) {
    if (!usable(config, r, d.channel) || !threadAllows(m.thread, d.channel)) continue;
    pushTime ??= quietTime(m, r, pushAt);
    const step = stepAt(d.channel, pushTime, pushReason);
    step.deviceId = d.deviceId;
    steps.push(step);
    pushed += 1;
  }

  const atOnce = high || (!r.online && pushed === 0);
  const nearlineReason: StepReason = high ? 'high-urgency' : atOnce ? 'no-device' : 'unread';
  let k = 0;
  for (const channel of rules.nearline) {
    if (!usable(config, r, channel) || !(channel === 'email' ? r.hasEmail : r.hasCell)) continue;
    const time = quietTime(
      m,
      r,
      high ? start : (atOnce ? start : start + level.nearlineDelayMs) + k * level.nearlineStepMs,
    );
    k += 1;
    const step = stepAt(channel, time, nearlineReason);
    if (level.digest && !high) {
      const window = digestWindow(time.at, config.digestWindowMs);
      step.at = window.end;
      step.digest = window.start;
    }
    steps.push(step);
  }
  // Mostly nothing falls after the expiry: the steps as they are then (no second array).
  let late = false;
  for (const s of steps) if (s.at > expiresAt) late = true;
  return { uid: r.uid, online: r.online, steps: late ? steps.filter((s) => s.at <= expiresAt) : steps };
};

/**
 * A plan per recipient, in the order given. The chain starts when the message is due, or
 * now if triage comes late (a scheduled message that came due while the broker was down):
 * the delays are the recipient's time to look, which only starts once something was sent.
 * The lifetime still counts from the due time. An expired message gets empty plans.
 */
export const planDelivery = (
  message: MessageFacts,
  recipients: readonly RecipientFacts[],
  config: TriageConfig,
  now: number,
): MessagePlan => {
  const expiresAt = expiryOf(message, config);
  if (now > expiresAt)
    return { expiresAt, recipients: recipients.map((r) => ({ uid: r.uid, online: r.online, steps: [] })) };
  const start = Math.max(message.due, now);
  const local = message.local;
  const rules = rulesOf(message, config, expiresAt);
  if (local === undefined) return { expiresAt, recipients: recipients.map((r) => planRecipient(rules, r, start)) };
  // Each recipient's chain starts at the schedule's time in their zone; the lifetime (and so
  // `expiresAt`) counts from the latest zone, so that no zone's recipients expire before their time.
  return {
    expiresAt,
    recipients: recipients.map((r) =>
      planRecipient(
        rules,
        r,
        Math.max(now, recipientLocal(local.schedule, local.publishedAt, message.due, r.timezone)),
      ),
    ),
  };
};
