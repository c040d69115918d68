import type { Device, DeviceChannel } from '../schema/devices.js';
import type { Audience, MessageOpts, Urgency } from '../schema/message.js';
import type { ThreadRole } from '../schema/events.js';
import type { ImportLineError } from '../schema/import-events.js';
import type { SegmentQuery } from '../schema/segment-query.js';

// What the read side answers, independent of where it is stored (embedded SQLite now,
// Cassandra later). Every query is by natural key and bounded by a limit.

export interface MessageView {
  readonly mid: string;
  readonly tid?: string;
  readonly from: string;
  readonly msg: string;
  readonly opts: MessageOpts;
  readonly urgency: Urgency;
  readonly at: string;
  readonly scheduled?: string;
}

export interface MessageDetails extends MessageView {
  readonly audience: Audience;
  readonly status: 'scheduled' | 'published' | 'cancelled' | 'retracted';
  /** Log position of the MessagePublished event. */
  readonly position: number;
}

export interface InboxItem extends MessageView {
  readonly seen: boolean;
  readonly read: boolean;
}

export interface Page<T> {
  readonly messages: readonly T[];
  /** Opaque cursor for the next (older) page, or null at the end. */
  readonly next: string | null;
}

export interface DeviceView {
  readonly deviceId: string;
  readonly channel: DeviceChannel;
  readonly device: Device;
  readonly enlistedAt: string;
}

export interface ThreadView {
  readonly tid: string;
  readonly owner: string;
  readonly name?: string;
  readonly opens: boolean;
  readonly openp: boolean;
  readonly urgency?: Urgency;
  readonly channels: readonly string[];
  readonly fallback: readonly string[];
  readonly mtypes: readonly string[];
  readonly admins: readonly string[];
  readonly publishers: readonly string[];
  readonly subscribers: number;
  readonly createdAt: string;
}

/** A message with the log position of its publication: onadata's integer `id` (schema/onadata.ts). */
export interface PositionedMessage extends MessageView {
  readonly position: number;
}

/** Who a message was addressed to, as the compatibility routes name it. */
export type MessageTarget =
  | { readonly kind: 'thread'; readonly tid: string }
  | { readonly kind: 'user'; readonly uid: string };

/** A thread `uid` belongs to: as its owner, in some roles, or both. */
export interface MemberThread {
  readonly tid: string;
  readonly owner: boolean;
  readonly roles: readonly ThreadRole[];
}

/** A user import's recorded parts summed: what every node answers about it. */
export interface UserImportView {
  readonly id: string;
  /** Parts recorded (each once, however often it was retried). */
  readonly parts: number;
  readonly linesRead: number;
  readonly usersWritten: number;
  readonly unchanged: number;
  readonly errors: number;
  /** The first errors (at most 100) over every part, in line order. */
  readonly firstErrors: readonly ImportLineError[];
  /** When the first and the last part were recorded. */
  readonly startedAt: string;
  readonly updatedAt: string;
}

/** A saved segment as listed: what it selects is counted by the search port. */
export interface SegmentView {
  readonly id: string;
  readonly name: string;
  readonly query: SegmentQuery;
  /** The admin who saved it. */
  readonly by: string;
  readonly definedAt: string;
}

export interface PageRequest {
  readonly before?: string;
  readonly limit: number;
}

export interface ReadModels {
  devicesByUser(uid: string): Promise<readonly DeviceView[]>;
  thread(tid: string): Promise<ThreadView | undefined>;
  threadMembers(
    tid: string,
    page: { after?: string; limit: number },
  ): Promise<readonly { uid: string; roles: readonly ThreadRole[] }[]>;
  memberRoles(tid: string, uid: string): Promise<readonly ThreadRole[]>;
  /** Messages of a thread, newest first (by due time), published and due at `now`. */
  threadMessages(tid: string, page: PageRequest, now: Date): Promise<Page<MessageView>>;
  /** A user's view of everything addressed to them, newest first, without what they deleted. */
  inbox(uid: string, page: PageRequest & { readonly unseen?: boolean }, now: Date): Promise<Page<InboxItem>>;
  message(mid: string): Promise<MessageDetails | undefined>;
  /** True when `uid` is among the message's recipients (directly, by thread membership at the time, or broadcast). */
  isRecipient(mid: string, uid: string): Promise<boolean>;
  /** Threads `uid` subscribes to now: the topics a realtime session joins on connect. */
  subscribedThreads(uid: string): Promise<readonly string[]>;
  /**
   * Messages addressed to a target, newest first, published, due and not withdrawn: a thread's
   * messages, or those sent to one user directly (send, multicast) that they have not deleted.
   */
  messagesTo(target: MessageTarget, page: PageRequest, now: Date): Promise<Page<PositionedMessage>>;
  /** Threads `uid` owns or holds a role in, by tid, after `after`. */
  threadsOf(uid: string, page: { after?: string; limit: number }): Promise<readonly MemberThread[]>;
  /** Number of users the broker knows (for metrics and the admin UI). */
  userCount(): Promise<number>;
  /** A user import's recorded parts summed, or undefined when no part of it is recorded. */
  userImport(id: string): Promise<UserImportView | undefined>;
  /** Saved segments by id (ids grow with time: oldest first), after `after`. */
  segments(page: { after?: string; limit: number }): Promise<readonly SegmentView[]>;
}
