import type { TriageConfig } from './config.js';
import { threadAllows, userAllows } from './preferences.js';
import type { MessageFacts, PlannedStep, RecipientFacts, RecipientPlan } from './types.js';

// MQTT (seed 002, onadata's backend) publishes to topics: `/<root>/user/<uid>/...` for one
// recipient and `/<root>/<thread topic>/...` for a thread, and whoever subscribes there
// receives it. The broker cannot know who listens, so a topic is "reachable" when MQTT is
// configured (it is in `config.available`) and nobody said no: for a user topic, neither the
// recipient's preferences (`~mqtt`, for the thread or at all) nor the thread's channel list;
// for the thread topic, the thread's channel list. A topic publish is sent at once (reason
// `topic`): there is no escalation to wait for, it is not a substitute for another channel.

/** The device slot of the thread topic's unit: `delivery-<mid>/<sender>/mqtt/thread`. */
export const THREAD_TOPIC = 'thread';

export const userTopicStep = (
  m: MessageFacts,
  r: Pick<RecipientFacts, 'channels' | 'threadChannels'>,
  config: Pick<TriageConfig, 'available'>,
  start: number,
): PlannedStep | undefined =>
  config.available.includes('mqtt') && userAllows(r, 'mqtt') && threadAllows(m.thread, 'mqtt')
    ? { channel: 'mqtt', at: start, reason: 'topic' }
    : undefined;

/**
 * The thread topic's publish, planned ONCE per message: triage puts it in the message's first
 * batch (batch 0), under the sender's uid, which triage never plans for otherwise (the sender
 * is not notified of their own message). Batch 0 is appended exactly once (at revision -1 of
 * `triage-<mid>`, or after MessageDue), so however many batches the audience takes, however
 * often a crashed expansion resumes, and even when the thread has no subscribers (onadata's
 * form and project topics are listened to by people who are not members), the thread topic
 * gets one unit. Planning it per recipient would publish it once per subscriber.
 */
export const threadTopicPlan = (
  m: MessageFacts,
  tid: string | undefined,
  from: string,
  config: Pick<TriageConfig, 'available'>,
  start: number,
  expiresAt: number,
): RecipientPlan | undefined =>
  tid !== undefined && config.available.includes('mqtt') && threadAllows(m.thread, 'mqtt') && start <= expiresAt
    ? { uid: from, online: false, steps: [{ channel: 'mqtt', deviceId: THREAD_TOPIC, at: start, reason: 'topic' }] }
    : undefined;
