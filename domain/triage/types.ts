import type { LocalSchedule, QuietHours } from '../../schema/local-time.js';
import type { Urgency } from '../../schema/message.js';

// The vocabulary of triage and escalation, shared by the pure functions in this folder.
// Times are epoch milliseconds: the functions take `now` as an argument and never read a clock.

/** Channels a step can use. `websocket` is performed by the realtime layer, the others by dispatch. */
export type PushChannel = 'apns' | 'fcm' | 'webpush';
export type NearlineChannel = 'email' | 'sms';
/** MQTT publishes to topics (a user's, a thread's): whoever subscribes there receives it. */
export type TopicChannel = 'mqtt';
export type StepChannel = 'websocket' | PushChannel | NearlineChannel | TopicChannel;
export const PUSH_CHANNELS: readonly PushChannel[] = ['apns', 'fcm', 'webpush'];
export const NEARLINE_CHANNELS: readonly NearlineChannel[] = ['email', 'sms'];
export const isPushChannel = (c: string): c is PushChannel => c === 'apns' || c === 'fcm' || c === 'webpush';
export const isNearlineChannel = (c: string): c is NearlineChannel => c === 'email' || c === 'sms';

/** Why a step was planned: an auditor reads these in the MessageTriaged event. */
export type StepReason =
  | 'live-session' // realtime at once: the recipient had a session open
  | 'offline' // push at once: no live session
  | 'unseen' // push after the urgency's push delay, if the message is still unseen
  | 'unread' // nearline after the nearline delay, if the message is still unread
  | 'no-device' // nearline at once: no live session and no push device
  | 'high-urgency' // urgency 4: every channel at once
  | 'topic'; // MQTT at once: a publish to a topic, for whoever subscribes there

export type SkipReason = 'seen' | 'read' | 'expired' | 'cancelled' | 'collapsed' | 'opted-out' | 'unreachable';

export interface PlannedStep {
  readonly channel: StepChannel;
  readonly deviceId?: string;
  readonly at: number;
  readonly reason: StepReason;
  /** Start of the digest window this step is gathered into (very-low urgency email/SMS). */
  readonly digest?: number;
  /** Moved later by a rule of the recipient's: when it would have been, and why it is not. */
  readonly deferred?: { readonly reason: 'quiet-hours'; readonly from: number };
}

export interface RecipientPlan {
  readonly uid: string;
  readonly online: boolean;
  readonly steps: readonly PlannedStep[];
}

export interface DeviceFact {
  readonly deviceId: string;
  readonly channel: PushChannel;
}

/** What triage knows about one recipient when it plans. */
export interface RecipientFacts {
  readonly uid: string;
  /** A live realtime session right now (the Presence port). */
  readonly online: boolean;
  /** Enlisted devices, newest first. */
  readonly devices: readonly DeviceFact[];
  readonly hasEmail: boolean;
  readonly hasCell: boolean;
  /** User-level channel preferences; `~name` opts out. */
  readonly channels: readonly string[];
  /** The user's preferences for the message's thread, which win over the user-level ones. */
  readonly threadChannels?: readonly string[];
  /** The profile's IANA zone, when set. */
  readonly timezone?: string;
  readonly quietHours?: QuietHours;
}

export interface ThreadChannels {
  /** When not empty, only these channels may be used for the thread's messages. */
  readonly channels: readonly string[];
  /** When not empty, the nearline channels, in order (instead of the configured default). */
  readonly fallback: readonly string[];
}

/** What triage knows about the message. */
export interface MessageFacts {
  readonly mid: string;
  readonly urgency: Urgency;
  /** When the message became due: `scheduled`, else the publication time. */
  readonly due: number;
  /** `opts.ttl` in seconds, when the sender gave one. */
  readonly ttlSeconds?: number;
  readonly collapse?: string;
  readonly thread?: ThreadChannels;
  /** A schedule in each recipient's own zone (docs/campaigns.md): their chain starts at its local time. */
  readonly local?: { readonly schedule: LocalSchedule; readonly publishedAt: number };
}

export interface MessagePlan {
  readonly expiresAt: number;
  readonly recipients: readonly RecipientPlan[];
}
