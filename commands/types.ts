import type { Either } from 'fp-ts/lib/Either.js';
import type { DomainError } from '../domain/errors.js';
import type { MessageState } from '../domain/message-state.js';
import type { ThreadSettingsChange } from '../domain/thread.js';
import type { UserState } from '../domain/user-state.js';
import type { ThreadSettingsInput as ThreadSettings } from '../domain/thread-settings.js';
import type { ProfileChange } from '../domain/user-profile.js';
import type { Actor } from '../schema/metadata.js';
import type { Device } from '../schema/devices.js';
import type { DeviceId, MessageId, ThreadId, UserId } from '../schema/ids.js';
import type { MessageOpts } from '../schema/message.js';
import type { ReceiptStatus, ThreadRole } from '../schema/events.js';
import type { LocalSchedule } from '../schema/local-time.js';
import type { SegmentQuery } from '../schema/segment-query.js';
import type { SearchQueries } from '../ports/search.js';
import type { SegmentState } from '../domain/segment.js';
import type { UsersImported } from '../schema/import-events.js';

export type { ThreadSettingsChange } from '../domain/thread.js';
export type { UserState as Profile } from '../domain/user-state.js';
export type { SegmentState } from '../domain/segment.js';

// The API maps these to statuses (api/errors.ts); it reaches the domain only through commands.
export type { DomainError, DomainErrorKind } from '../domain/errors.js';

// Everything a command needs besides its payload: who, when, and the ids tying its events
// to the request that caused them. The API builds it; deciders never read a clock.
export interface CommandContext {
  readonly actor: Actor;
  readonly now: Date;
  readonly correlationId: string;
  readonly idempotencyKey?: string;
}

/** Infrastructure failure (the log refused or kept conflicting): the API answers 503. */
export interface FailedToAppend {
  readonly kind: 'unavailable';
  readonly code: 'FailedToAppend';
  readonly msg: string;
}

/** `position` is the global log position of the last event written (or the current head when none was needed). */
export type CommandResult<T = object> = Either<DomainError | FailedToAppend, T & { readonly position: number }>;

/** Whom a multicast/broadcast by audience names: a saved segment, or a query in the filter language. */
export type AudienceTarget = { readonly segment: MessageId } | { readonly query: SegmentQuery };

export interface MessageContent {
  readonly msg: string;
  readonly opts: MessageOpts;
  readonly scheduled?: Date;
  readonly local?: LocalSchedule;
  readonly subject?: string;
}

// The payloads of createThread and changeProfile are the deciders' own inputs.
export type { ThreadSettingsInput as ThreadSettings } from '../domain/thread-settings.js';
export type { ProfileChange } from '../domain/user-profile.js';
/** What one user's websocket sessions did on a node during a check-in interval. */
export interface CheckInTally {
  readonly uid: string;
  /** Sessions open at the end of the interval. */
  readonly sessions: number;
  readonly opened: number;
  readonly closed: number;
  /** Milliseconds of session time in the interval. */
  readonly onlineMs: number;
}

export interface CheckIns {
  readonly node: string;
  readonly from: Date;
  readonly to: Date;
  readonly users: readonly CheckInTally[];
}

// The command side as the API sees it. Message-creating commands take a `mid` chosen by the
// caller, so a retried request (same Idempotency-Key) can reuse it and never publish twice.
export interface Commands {
  recognize(ctx: CommandContext): Promise<CommandResult>;
  enlist(ctx: CommandContext, device: Device): Promise<CommandResult>;
  changeProfile(ctx: CommandContext, uid: UserId, change: ProfileChange): Promise<CommandResult>;
  /** changeProfile for an import line; `written` false when the profile already held it. */
  importUser(ctx: CommandContext, uid: UserId, change: ProfileChange): Promise<CommandResult<{ written: boolean }>>;
  /** Records one part of a user import once its good lines are durable (admins); `by` is the caller. */
  recordImportPart(
    ctx: CommandContext,
    part: Omit<UsersImported['data'], 'by' | 'id'> & { readonly id: string },
  ): Promise<CommandResult>;
  createThread(ctx: CommandContext, settings: ThreadSettings): Promise<CommandResult<{ tid: ThreadId }>>;
  subscribe(ctx: CommandContext, tid: ThreadId): Promise<CommandResult>;
  unsubscribe(ctx: CommandContext, tid: ThreadId, uid?: UserId): Promise<CommandResult>;
  addMember(ctx: CommandContext, tid: ThreadId, uid: UserId, role: ThreadRole): Promise<CommandResult>;
  /** Without `role`: every role the member holds. */
  removeMember(ctx: CommandContext, tid: ThreadId, uid: UserId, role?: ThreadRole): Promise<CommandResult>;
  /** Rename a thread, open or close it (owner, thread admins, admins). */
  changeThreadSettings(ctx: CommandContext, tid: ThreadId, change: ThreadSettingsChange): Promise<CommandResult>;
  /** Logout: revoke one of `uid`'s devices (self or admin); `revoked` false when it was not enlisted. */
  removeDevice(
    ctx: CommandContext,
    uid: UserId,
    which: { readonly deviceId: DeviceId } | { readonly device: Device },
    reason?: string,
  ): Promise<CommandResult<{ revoked: boolean }>>;
  /** The user stream's fold: contact points, preferences, attributes, devices. Reads, never writes. */
  loadProfile(uid: UserId): Promise<Either<DomainError | FailedToAppend, UserState>>;
  /** `claim: false` publishes only to an existing thread (an unknown or hidden one is ThreadNotFound). */
  publish(
    ctx: CommandContext,
    mid: MessageId,
    tid: ThreadId,
    content: MessageContent,
    options?: { readonly claim?: boolean },
  ): Promise<CommandResult<{ mid: MessageId }>>;
  send(
    ctx: CommandContext,
    mid: MessageId,
    uid: UserId,
    content: MessageContent,
  ): Promise<CommandResult<{ mid: MessageId }>>;
  multicast(
    ctx: CommandContext,
    mid: MessageId,
    uids: readonly UserId[],
    content: MessageContent,
  ): Promise<CommandResult<{ mid: MessageId }>>;
  broadcast(ctx: CommandContext, mid: MessageId, content: MessageContent): Promise<CommandResult<{ mid: MessageId }>>;
  /** Multicast/broadcast by segment or query: resolved once in `directory`, recorded with the message. */
  multicastAudience(
    ctx: CommandContext,
    mid: MessageId,
    target: AudienceTarget,
    content: MessageContent,
    directory: Pick<SearchQueries, 'selectUsers'>,
  ): Promise<CommandResult<{ mid: MessageId }>>;
  cancel(ctx: CommandContext, mid: MessageId, tid?: ThreadId): Promise<CommandResult>;
  /** Sender or admin: retract for everyone. A recipient: delete from their own inbox. */
  deleteMessage(
    ctx: CommandContext,
    mid: MessageId,
  ): Promise<CommandResult<{ effect: 'retracted' | 'deleted_from_inbox' }>>;
  /** `channel`: where the receipt came from (`api`, `websocket`, `webpush`, ...), recorded in the event. */
  acknowledge(
    ctx: CommandContext,
    mids: readonly MessageId[],
    status: ReceiptStatus,
    channel?: string,
  ): Promise<CommandResult>;
  markRead(ctx: CommandContext, mid: MessageId, tid?: ThreadId): Promise<CommandResult>;
  deleteFromInbox(ctx: CommandContext, mids: readonly MessageId[]): Promise<CommandResult>;
  /** The message's folded state (Absent when unknown); reads, never writes. */
  loadMessage(mid: MessageId): Promise<Either<DomainError | FailedToAppend, MessageState>>;
  /** Saves a segment (admins); `id` chosen by the API, stable across a retried request. */
  defineSegment(
    ctx: CommandContext,
    id: MessageId,
    name: string,
    query: SegmentQuery,
  ): Promise<CommandResult<{ id: MessageId }>>;
  /** The segment's fold (Absent when unknown); reads, never writes. */
  loadSegment(id: MessageId): Promise<Either<DomainError | FailedToAppend, SegmentState>>;
  /** Records a node's check-ins (the node is the actor); nothing is appended for an interval without any. */
  checkIn(checkIns: CheckIns): Promise<CommandResult>;
  /** Admin only: destroys the user's data keys and records UserErased (docs/gdpr.md); unknown users are not_found. */
  eraseUser(ctx: CommandContext, uid: UserId): Promise<CommandResult<{ keysDestroyed: number }>>;
}
