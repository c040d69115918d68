import type { Device, DeviceChannel } from './devices.js';
import type { EventOf } from './events.js';
import type { DispatchChannel } from './triage-events.js';
import type { QuietHours } from './local-time.js';
import type { PackedGroup } from './group-row.js';

// The shapes of delivery's private state (delivery/), shared by the pure folds that compute
// them (domain/delivery/), the port that stores them (ports/delivery-state.ts) and each
// engine's adapter (adapters/delivery-state/). Only the broker writes this state, from
// events its codecs decoded, so adapters map stored rows back to these types without a
// second decode. Times are epoch milliseconds.

// ---- delivery units: one per planned step, digest window, or message gathered into a digest

/** `step`: one recipient, channel (and device); `digest`: one window of very-low urgency email/SMS; `member`: a step gathered into a digest. */
export type UnitKind = 'step' | 'digest' | 'member';
export type UnitStatus = 'pending' | 'claimed' | 'done' | 'skipped' | 'given-up';

/** What the plan fixed when the unit was created. */
export interface UnitPlan {
  readonly key: string;
  readonly kind: UnitKind;
  /** The message; null for a digest (its messages are its members). */
  readonly mid: string | null;
  readonly uid: string;
  readonly channel: DispatchChannel;
  readonly deviceId: string | null;
  /** A member's digest unit. */
  readonly digest: string | null;
  readonly collapse: string | null;
  /** The message's urgency (a digest: its first member's): dispatch's lanes serve the most urgent first. */
  readonly urgency: number;
  readonly due: number;
  readonly expiresAt: number;
  /** The MessageTriaged event that planned it, and its correlation id. */
  readonly cause: string;
  readonly correlationId: string;
}

export type UnitStage =
  | { readonly status: 'pending' }
  | { readonly status: 'claimed'; readonly node: string; readonly run: string; readonly leaseUntil: number }
  | { readonly status: 'done' }
  | { readonly status: 'skipped'; readonly reason: string }
  | { readonly status: 'given-up'; readonly reason: string };

export interface UnitState extends UnitPlan {
  readonly stage: UnitStage;
  /** When the plan (or a retry) wants it. */
  readonly at: number;
  /** Attempts claimed so far. */
  readonly attempt: number;
  /**
   * Where its facts are written: a step's group stream (`deliveries-<mid>/<channel>/<batch>`,
   * batched events), or its own stream (`delivery-<key>`: a digest member, or a step whose
   * first fact was written before batching), or a digest's (`digest-<key>`).
   */
  readonly stream: string;
  /** Revision of `stream` at the last event folded into this unit (-1: no event yet). */
  readonly revision: number;
  /** Digest only: its members still waiting for it (their mids), oldest first. */
  readonly waiting: readonly string[];
}

/** `group`: the earliest wake-up of a group's steps (key: the group stream, see StateBatch.groups). */
export type TimerKind = 'publish' | 'step' | 'digest' | 'group';

/** A durable timer set (at a time) or cleared (null). */
export interface TimerChange {
  readonly kind: TimerKind;
  readonly key: string;
  readonly at: number | null;
}

export interface DueTimer {
  readonly kind: TimerKind;
  readonly key: string;
  readonly dueAt: number;
}

// ---- the directory: who can be reached where, as of the event triage is at

export type PublishedData = EventOf<'MessagePublished'>['data'];
export type MessageStatus = 'scheduled' | 'due' | 'published' | 'cancelled' | 'retracted';

export interface DirectoryMessage {
  readonly data: PublishedData;
  readonly position: number;
  readonly status: MessageStatus;
  readonly eventId: string;
  readonly correlationId: string;
}

export interface DeviceEntry {
  readonly deviceId: string;
  readonly channel: DeviceChannel;
}

export interface Profile {
  /** Newest first, at most LIMITS.devices. */
  readonly devices: readonly DeviceEntry[];
  readonly email: string | null;
  readonly cell: string | null;
  readonly channels: readonly string[];
  /** The user's preferences for one thread, when asked for a thread and set. */
  readonly threadChannels?: readonly string[];
  /** The profile's zone and quiet hours, when set (docs/campaigns.md). */
  readonly timezone?: string;
  readonly quietHours?: QuietHours;
}

/**
 * A user's enlistment of a device that another user enlisted later, waiting for its revocation
 * (delivery/moves.ts): `revision` names the enlistment in the user's stream.
 */
export interface DeviceMove {
  readonly uid: string;
  readonly deviceId: string;
  readonly revision: number;
}

/** Of a profile, what a dispatch job checks: opt-outs and contact points (DirectoryReads.contacts). */
export type Contact = Pick<Profile, 'email' | 'cell' | 'channels' | 'threadChannels'>;

export interface ThreadEntry {
  readonly name?: string;
  readonly channels: readonly string[];
  readonly fallback: readonly string[];
}

/**
 * One idempotent write to the directory. Applying a change twice, or a change older than what
 * is stored where a position guards it, leaves the directory as it was.
 */
export type DirectoryChange =
  /** The user exists from `position` on (the earliest position wins): broadcasts reach users known before them. */
  | { readonly type: 'user-known'; readonly uid: string; readonly position: number }
  /** Contact points; a field left out is unchanged, null clears it. */
  | { readonly type: 'contact'; readonly uid: string; readonly email?: string | null; readonly cell?: string | null }
  | { readonly type: 'channels'; readonly uid: string; readonly channels: readonly string[] }
  /** Time zone and quiet hours; a field left out is unchanged, null clears it. */
  | {
      readonly type: 'time-preferences';
      readonly uid: string;
      readonly timezone?: string | null;
      readonly quietHours?: QuietHours | null;
    }
  | {
      readonly type: 'thread-channels';
      readonly uid: string;
      readonly tid: string;
      readonly channels: readonly string[];
    }
  /**
   * Replaces the device unless the stored one is from a later position. A device belongs to one
   * user at a time: another user's enlistment of it from an earlier position leaves the devices
   * (nothing is planned or sent to it for them from here on) and waits as a DeviceMove until its
   * revocation is in the log; this user's own move waiting from an earlier position is void.
   * Nothing changes if another user enlisted it at a later position.
   */
  | {
      readonly type: 'device-enlisted';
      readonly uid: string;
      readonly deviceId: string;
      readonly device: Device;
      readonly position: number;
      /** Its revision in the user's stream: what names this enlistment to a revocation. */
      readonly revision: number;
    }
  /** Removes the device (and its move, if it waits) unless it was enlisted again at or after `position`. */
  | { readonly type: 'device-revoked'; readonly uid: string; readonly deviceId: string; readonly position: number }
  /** Stored if the thread is not known yet. */
  | {
      readonly type: 'thread-created';
      readonly tid: string;
      readonly name: string | null;
      readonly channels: readonly string[];
      readonly fallback: readonly string[];
    }
  | { readonly type: 'member-joined'; readonly tid: string; readonly uid: string }
  | { readonly type: 'member-left'; readonly tid: string; readonly uid: string }
  /** Stored if the message is not known yet; its data never changes afterwards. */
  | { readonly type: 'message-published'; readonly message: DirectoryMessage }
  /** Moves the status only from one of `from` (a cancel or retraction is final). */
  | {
      readonly type: 'message-status';
      readonly mid: string;
      readonly status: MessageStatus;
      readonly from: readonly MessageStatus[];
    }
  /** The user was erased: their devices and contact points go, and the text of messages addressed to them only. */
  | { readonly type: 'user-erased'; readonly uid: string; readonly position: number };

// ---- what dispatch checks before each step, besides the units

/**
 * One idempotent write of what `nextStep` checks: receipts and read markers only grow, a
 * cancellation is final, the newest message of a collapse key wins, a triaged message's
 * counts move only with a later batch.
 */
export type DeliveryChange =
  | {
      readonly type: 'engaged';
      readonly uid: string;
      readonly mid: string;
      readonly seen: boolean;
      readonly read: boolean;
    }
  /** Read up to `mid` (UUIDv7, time-ordered) in `scope`: '' for the whole inbox, else a thread id. */
  | { readonly type: 'read-marker'; readonly uid: string; readonly scope: string; readonly mid: string }
  | { readonly type: 'cancelled'; readonly mid: string }
  | {
      readonly type: 'collapse';
      readonly uid: string;
      readonly ckey: string;
      readonly due: number;
      readonly mid: string;
    }
  /** One more batch of a message was triaged (the "recent" report). */
  | {
      readonly type: 'triaged';
      readonly mid: string;
      readonly due: number;
      readonly expiresAt: number;
      readonly recipients: number;
      readonly batch: number;
      readonly position: number;
    };

export interface Engagement {
  readonly seen: boolean;
  readonly read: boolean;
}

/**
 * The steps of one group stream (`deliveries-<mid>/<channel>/<batch>`: one channel of one
 * triage batch), stored together and rewritten whole: a batched claim or outcome changes one
 * row, not one per recipient. Its timer is the earliest wake-up of its steps (kind `group`).
 */
export interface GroupWrite {
  readonly stream: string;
  /** Its steps packed (schema/group-row.ts): the form the state stores. */
  readonly packed: PackedGroup;
}

/** What one fold writes at once, with the checkpoint it reached. */
export interface StateBatch {
  readonly directory?: readonly DirectoryChange[];
  /** Units stored one by one: digests, their members, steps whose facts are in their own stream. */
  readonly units?: readonly UnitState[];
  readonly groups?: readonly GroupWrite[];
  readonly deliveries?: readonly DeliveryChange[];
  readonly timers?: readonly TimerChange[];
  readonly checkpoint?: { readonly name: string; readonly position: number };
}
