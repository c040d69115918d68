import * as t from 'io-ts';
import { DeviceId, MessageId, ThreadId, UserId } from './ids.js';
import { Device } from './devices.js';
import { Count, LIMITS, boundedArray, boundedString } from './bounds.js';
import { Audience, ISODate, MessageText, StoredMessageOpts, Subject, Urgency } from './message.js';
import { Payload } from './payload.js';
import { StoredLocalSchedule, StoredQuietHours, StoredTimeZone } from './local-time.js';
import { CellNumber, EmailAddress } from './profile.js';
import { TRIAGE_EVENTS } from './triage-events.js';
import { SegmentQueryC } from './segment-query.js';
import { UsersImported } from './import-events.js';

// Every event the broker stores, as { type, data }. Stored events are decoded with this
// codec when read back, so a corrupt or foreign event is refused at the boundary instead
// of surfacing as undefined deep inside a projection.
const ev = <N extends string, P extends t.Props>(type: N, props: P) =>
  t.type({ type: t.literal(type), data: t.type(props) }, type);
const evp = <N extends string, P extends t.Props, O extends t.Props>(type: N, props: P, optional: O) =>
  t.type({ type: t.literal(type), data: t.intersection([t.type(props), t.partial(optional)]) }, type);

export const ThreadRole = t.union([t.literal('admin'), t.literal('publisher'), t.literal('subscriber')], 'ThreadRole');
export type ThreadRole = t.TypeOf<typeof ThreadRole>;

// Channel names as msgxc used them; a leading `~` in a preference list means "opted out".
export const ChannelName = t.refinement(t.string, (s) => /^~?[a-z][a-z0-9_-]{0,31}$/.test(s), 'ChannelName');
export const ChannelList = boundedArray(
  ChannelName,
  0,
  LIMITS.channels,
  `list of at most ${LIMITS.channels} channel names`,
);
export const ThreadName = boundedString(0, LIMITS.name);
export const MessageType = boundedString(1, LIMITS.label);
export const MessageTypes = boundedArray(
  MessageType,
  0,
  LIMITS.mtypes,
  `list of at most ${LIMITS.mtypes} message types`,
);
/** Why a device was revoked (a provider's answer, clipped by the dispatcher). */
export const Reason = boundedString(0, LIMITS.reason);

// ---- user-<uid>
export const UserRecognized = ev('UserRecognized', {
  uid: UserId,
  via: t.union([t.literal('token'), t.literal('addressed')]),
});
export const DeviceEnlisted = ev('DeviceEnlisted', { uid: UserId, deviceId: DeviceId, device: Device });
export const DeviceRevoked = ev('DeviceRevoked', { uid: UserId, deviceId: DeviceId, reason: Reason });
export const ContactPointsChanged = evp(
  'ContactPointsChanged',
  { uid: UserId },
  { email: t.union([EmailAddress, t.null]), cell: t.union([CellNumber, t.null]) },
);
export const ChannelPreferencesChanged = evp(
  'ChannelPreferencesChanged',
  { uid: UserId, channels: ChannelList },
  { tid: ThreadId },
);
export const UserAttributesChanged = ev('UserAttributesChanged', { uid: UserId, attributes: Payload });
/** An admin erased the user (docs/gdpr.md): their data keys are destroyed; every read model forgets them. */
export const UserErased = ev('UserErased', { uid: UserId });
/** The user's time zone and quiet hours (docs/campaigns.md); a field left out is unchanged, null clears it. */
export const TimePreferencesChanged = evp(
  'TimePreferencesChanged',
  { uid: UserId },
  { timezone: t.union([StoredTimeZone, t.null]), quietHours: t.union([StoredQuietHours, t.null]) },
);

// ---- thread-<tid>
export const ThreadCreated = evp(
  'ThreadCreated',
  {
    tid: ThreadId,
    owner: UserId,
    opens: t.boolean,
    openp: t.boolean,
  },
  { name: ThreadName, channels: ChannelList, fallback: ChannelList, urgency: Urgency, mtypes: MessageTypes },
);
export const ThreadMemberAdded = ev('ThreadMemberAdded', { tid: ThreadId, uid: UserId, role: ThreadRole });
export const ThreadMemberRemoved = ev('ThreadMemberRemoved', { tid: ThreadId, uid: UserId, role: ThreadRole });
/** A manager renamed the thread or opened/closed it; only the settings that changed are named. */
export const ThreadSettingsChanged = evp(
  'ThreadSettingsChanged',
  { tid: ThreadId },
  { name: ThreadName, opens: t.boolean, openp: t.boolean },
);

// ---- message-<mid>
export const MessagePublished = evp(
  'MessagePublished',
  {
    mid: MessageId,
    from: UserId,
    audience: Audience,
    msg: MessageText,
    opts: StoredMessageOpts,
    urgency: Urgency,
    at: ISODate,
  },
  { scheduled: ISODate, subject: Subject, local: StoredLocalSchedule },
);
/**
 * The audience of a multicast or broadcast by segment or query (issue 13, docs/audiences.md),
 * resolved once in the search store's user directory and appended in the same append as the
 * MessagePublished that follows it: `count` users, who are exactly that event's `audience.uids`
 * (sorted by uid). `segment`/`name` name a saved segment; `query` is always the query evaluated.
 */
export const AudienceSource = t.intersection(
  [t.type({ query: SegmentQueryC }), t.partial({ segment: MessageId, name: boundedString(1, LIMITS.name) })],
  'AudienceSource',
);
export type AudienceSource = t.TypeOf<typeof AudienceSource>;
export const AudienceResolved = ev('AudienceResolved', {
  mid: MessageId,
  source: AudienceSource,
  count: Count,
  by: UserId,
  at: ISODate,
});
/** Uids of one part of a chunked audience. */
export const AudienceUids = boundedArray(UserId, 1, LIMITS.audienceChunk, `1..${LIMITS.audienceChunk} user ids`);
/**
 * One part of a chunked audience (stream `audience-<mid>`, revision = `part`): uids in uid
 * order, every uid after the previous part's last. Inert until the message's MessagePublished
 * (audience kind `chunked`, naming how many parts) is appended after the last part.
 */
export const AudienceChunk = ev('AudienceChunk', { mid: MessageId, part: Count, uids: AudienceUids });
export const MessageCancelled = ev('MessageCancelled', { mid: MessageId, by: UserId });
export const MessageRetracted = ev('MessageRetracted', { mid: MessageId, by: UserId });

// ---- inbox-<uid>: one recipient's view of messages (receipts, seen, read, deleted)
export const ReceiptStatus = t.union(
  [t.literal('delivered'), t.literal('seen'), t.literal('read'), t.literal('clicked')],
  'ReceiptStatus',
);
export type ReceiptStatus = t.TypeOf<typeof ReceiptStatus>;
// `channel` (optional, additive) names where the receipt came from; receipts without it came over the API.
export const ReceiptChannel = t.refinement(t.string, (s) => /^[a-z][a-z0-9_-]{0,31}$/.test(s), 'ReceiptChannel');
/** Message ids of one receipt or deletion. */
export const Mids = boundedArray(MessageId, 1, LIMITS.mids, `1..${LIMITS.mids} message ids`);
export const MessagesAcknowledged = evp(
  'MessagesAcknowledged',
  { uid: UserId, mids: Mids, status: ReceiptStatus },
  { channel: ReceiptChannel },
);
export const LastReadMarked = evp('LastReadMarked', { uid: UserId, mid: MessageId }, { tid: ThreadId });
export const MessageDeletedFromInbox = ev('MessageDeletedFromInbox', { uid: UserId, mids: Mids });

// ---- presence-<node>: websocket check-in, batched per node per interval (a connect is not a
// write). Each entry covers one user's sessions on that node during [from, to): sessions open
// at `to`, opened and closed in the interval, and milliseconds of session time in it.
export const CheckInEntry = t.type(
  {
    uid: UserId,
    sessions: Count,
    opened: Count,
    closed: Count,
    onlineMs: Count,
  },
  'CheckInEntry',
);
export const NodeName = boundedString(1, LIMITS.tag);
export const UsersCheckedIn = ev('UsersCheckedIn', {
  node: NodeName,
  from: ISODate,
  to: ISODate,
  users: boundedArray(CheckInEntry, 0, LIMITS.checkins),
});
export type UsersCheckedIn = t.TypeOf<typeof UsersCheckedIn>;

// ---- segment-<id>: a saved audience query (the filter language of schema/segment-query.ts)
export const SegmentName = boundedString(1, LIMITS.name);
export const SegmentDefined = ev('SegmentDefined', {
  id: MessageId,
  name: SegmentName,
  query: SegmentQueryC,
  by: UserId,
});
export type AudienceChunkEvent = t.TypeOf<typeof AudienceChunk>;
export const SegmentEvent = SegmentDefined;
export type SegmentEvent = t.TypeOf<typeof SegmentEvent>;

export const UserEvent = t.union([
  UserRecognized,
  DeviceEnlisted,
  DeviceRevoked,
  ContactPointsChanged,
  ChannelPreferencesChanged,
  UserAttributesChanged,
  UserErased,
  TimePreferencesChanged,
]);
export type UserEvent = t.TypeOf<typeof UserEvent>;
export const ThreadEvent = t.union([ThreadCreated, ThreadMemberAdded, ThreadMemberRemoved, ThreadSettingsChanged]);
export type ThreadEvent = t.TypeOf<typeof ThreadEvent>;
export const MessageEvent = t.union([AudienceResolved, MessagePublished, MessageCancelled, MessageRetracted]);
export type MessageEvent = t.TypeOf<typeof MessageEvent>;
export const InboxEvent = t.union([MessagesAcknowledged, LastReadMarked, MessageDeletedFromInbox]);
export type InboxEvent = t.TypeOf<typeof InboxEvent>;

export const DomainEvent = t.union(
  [
    UserRecognized,
    DeviceEnlisted,
    DeviceRevoked,
    ContactPointsChanged,
    ChannelPreferencesChanged,
    UserAttributesChanged,
    UserErased,
    TimePreferencesChanged,
    ThreadCreated,
    ThreadMemberAdded,
    ThreadMemberRemoved,
    ThreadSettingsChanged,
    AudienceResolved,
    AudienceChunk,
    MessagePublished,
    MessageCancelled,
    MessageRetracted,
    MessagesAcknowledged,
    LastReadMarked,
    MessageDeletedFromInbox,
    SegmentDefined,
    UsersImported,
    ...TRIAGE_EVENTS, // triage, dispatch and timers: schema/triage-events.ts
  ],
  'DomainEvent',
);
export type DomainEvent = t.TypeOf<typeof DomainEvent>;
export type DomainEventType = DomainEvent['type'];
export type EventOf<T extends DomainEventType> = Extract<DomainEvent, { type: T }>;

export const streams = {
  user: (uid: string) => `user-${uid}`,
  thread: (tid: string) => `thread-${tid}`,
  message: (mid: string) => `message-${mid}`,
  inbox: (uid: string) => `inbox-${uid}`,
  presence: (node: string) => `presence-${node}`,
  segment: (id: string) => `segment-${id}`,
  audience: (mid: string) => `audience-${mid}`,
  userImport: (id: string) => `import-${id}`,
} as const;
