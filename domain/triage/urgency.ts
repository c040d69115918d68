import type { Urgency } from '../../schema/message.js';

// msgxc's urgency 1..4 (its seed table) is RFC 8030's Urgency header. Each level also says how
// the push providers should treat the message and how patient the escalation chain is.
// Every number here is a default: TriageConfig overrides any field of any level.

export type WebPushUrgency = 'very-low' | 'low' | 'normal' | 'high';
export type FcmPriority = 'normal' | 'high';
/** APNs: 10 wakes the device at once, 5 lets iOS pick a power-friendly moment. */
export type ApnsPriority = 5 | 10;
/** APNs `apns-push-type`: `alert` shows something; `background` only wakes the app (priority 5 only). */
export type ApnsPushType = 'alert' | 'background';

export interface UrgencyProfile {
  readonly webPush: WebPushUrgency;
  readonly fcmPriority: FcmPriority;
  readonly apnsPriority: ApnsPriority;
  readonly apnsPushType: ApnsPushType;
  /** Lifetime when the message has no `opts.ttl`: nothing is delivered after it. */
  readonly ttlMs: number;
  /** A recipient with a live session gets push only if the message is still unseen this long after it was due. */
  readonly pushDelayMs: number;
  /** Email (then SMS) only if the message is still unread this long after it was due. */
  readonly nearlineDelayMs: number;
  /** Gap between one nearline channel and the next (email, then SMS). */
  readonly nearlineStepMs: number;
  /** Gather this level's email/SMS into one digest per user per window instead of one per message. */
  readonly digest: boolean;
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const DEFAULT_URGENCY_TABLE: Readonly<Record<Urgency, UrgencyProfile>> = {
  1: {
    webPush: 'very-low',
    fcmPriority: 'normal',
    apnsPriority: 5,
    apnsPushType: 'alert',
    ttlMs: 7 * DAY,
    pushDelayMs: 30 * MINUTE,
    nearlineDelayMs: 1 * DAY,
    nearlineStepMs: 1 * DAY,
    digest: true,
  },
  2: {
    webPush: 'low',
    fcmPriority: 'normal',
    apnsPriority: 5,
    apnsPushType: 'alert',
    ttlMs: 3 * DAY,
    pushDelayMs: 5 * MINUTE,
    nearlineDelayMs: 1 * HOUR,
    nearlineStepMs: 1 * HOUR,
    digest: false,
  },
  3: {
    webPush: 'normal',
    fcmPriority: 'high',
    apnsPriority: 10,
    apnsPushType: 'alert',
    ttlMs: 1 * DAY,
    pushDelayMs: 30 * SECOND,
    nearlineDelayMs: 15 * MINUTE,
    nearlineStepMs: 15 * MINUTE,
    digest: false,
  },
  // High urgency goes to every channel at once, so its delays are not used by the planner.
  4: {
    webPush: 'high',
    fcmPriority: 'high',
    apnsPriority: 10,
    apnsPushType: 'alert',
    ttlMs: 4 * HOUR,
    pushDelayMs: 0,
    nearlineDelayMs: 0,
    nearlineStepMs: 0,
    digest: false,
  },
};

/**
 * The table's waits (push delay, nearline delay and step) times `scale`, each level's other
 * fields as they are: MSGXC_TRIAGE_TIME_SCALE compresses the escalation chain for demos and
 * end-to-end tests (1 = the documented defaults). A TriageConfig `urgency` override.
 */
export const scaledUrgencyDelays = (
  scale: number,
): Record<Urgency, Pick<UrgencyProfile, 'pushDelayMs' | 'nearlineDelayMs' | 'nearlineStepMs'>> => {
  const scaled = (p: UrgencyProfile) => ({
    pushDelayMs: Math.round(p.pushDelayMs * scale),
    nearlineDelayMs: Math.round(p.nearlineDelayMs * scale),
    nearlineStepMs: Math.round(p.nearlineStepMs * scale),
  });
  const t = DEFAULT_URGENCY_TABLE;
  return { 1: scaled(t[1]), 2: scaled(t[2]), 3: scaled(t[3]), 4: scaled(t[4]) };
};

export interface PushHeaders {
  readonly webPush: WebPushUrgency;
  readonly fcmPriority: FcmPriority;
  readonly apnsPriority: ApnsPriority;
  readonly apnsPushType: ApnsPushType;
}

/**
 * What the push adapters should send for a message. A silent message (`opts.silent: true`)
 * only wakes the app: APNs requires priority 5 for a background push.
 */
export const pushHeaders = (profile: UrgencyProfile, silent = false): PushHeaders =>
  silent
    ? { webPush: profile.webPush, fcmPriority: profile.fcmPriority, apnsPriority: 5, apnsPushType: 'background' }
    : {
        webPush: profile.webPush,
        fcmPriority: profile.fcmPriority,
        apnsPriority: profile.apnsPriority,
        apnsPushType: profile.apnsPushType,
      };
