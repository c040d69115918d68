import * as t from 'io-ts';
import { Device } from './devices.js';
import { ChannelName, ReceiptStatus, ThreadRole } from './events.js';
import { MessageId, ThreadId, UserId } from './ids.js';
import { JsonObjectC } from './json.js';
import { Urgency } from './message.js';

// Request bodies of the HTTP API, verbatim from the msgxc seeds where they exist.
// Unknown extra fields are tolerated (old clients send them); wrong types are not.

const Text = t.refinement(t.string, (s) => s.length > 0, 'non-empty string');

// Keys of `opts` that the broker itself interprets; anything else passes through to channels.
export const Opts = t.intersection([
  JsonObjectC,
  t.partial({
    urgency: Urgency,
    ttl: t.refinement(t.number, (n) => Number.isInteger(n) && n >= 0 && n <= 28 * 24 * 3600, 'seconds (0..2419200)'),
    collapse: t.refinement(t.string, (s) => s.length > 0 && s.length <= 64, 'string of 1..64 characters'),
  }),
], 'opts');

// `scheduled` may be an ISO-8601 date-time or epoch milliseconds.
export const When = new t.Type<Date, string, unknown>(
  'ISO-8601 date-time or epoch milliseconds',
  (u): u is Date => u instanceof Date,
  (u, c) => {
    if (typeof u === 'number' && Number.isFinite(u) && u > 0) return t.success(new Date(u));
    if (typeof u === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(u) && !Number.isNaN(Date.parse(u))) return t.success(new Date(u));
    return t.failure(u, c);
  },
  (d) => d.toISOString(),
);

const content = { msg: Text };
const contentOptional = { opts: Opts, scheduled: When, subject: t.string };

export const PublishBody = t.intersection([t.type({ tid: ThreadId, ...content }), t.partial(contentOptional)], 'PublishBody');
export const SendBody = t.intersection([t.type({ uid: UserId, ...content }), t.partial(contentOptional)], 'SendBody');
export const MulticastBody = t.intersection([
  t.type({ uids: t.refinement(t.array(UserId), (a) => a.length >= 1 && a.length <= 10_000, '1..10000 user ids'), ...content }),
  t.partial(contentOptional),
], 'MulticastBody');
export const BroadcastBody = t.intersection([t.type(content), t.partial(contentOptional)], 'BroadcastBody');
export const CancelBody = t.intersection([t.type({ mid: MessageId }), t.partial({ tid: ThreadId })], 'CancelBody');
export const ThreadBody = t.type({ tid: ThreadId }, 'ThreadBody');
export const UnsubscribeBody = t.intersection([t.type({ tid: ThreadId }), t.partial({ uid: UserId })], 'UnsubscribeBody');
export const EnlistBody = Device;

export const CreateThreadBody = t.partial({
  tid: ThreadId,
  name: t.refinement(t.string, (s) => s.length <= 200, 'at most 200 characters'),
  opens: t.boolean,
  openp: t.boolean,
  mtypes: t.array(t.string),
  urgency: Urgency,
  channels: t.array(ChannelName),
  fallback: t.array(ChannelName),
}, 'CreateThreadBody');

export const MemberBody = t.type({ uid: UserId, role: ThreadRole }, 'MemberBody');
export const MemberRemoveBody = t.type({ uid: UserId, role: ThreadRole }, 'MemberRemoveBody');

const Mids = t.refinement(t.array(MessageId), (a) => a.length >= 1 && a.length <= 1000, '1..1000 message ids');
export const AckBody = t.type({ mids: Mids, status: ReceiptStatus }, 'AckBody');
export const ReadBody = t.intersection([t.type({ mid: MessageId }), t.partial({ tid: ThreadId })], 'ReadBody');
export const InboxDeleteBody = t.type({ mids: Mids }, 'InboxDeleteBody');

export const ProfileBody = t.partial({
  uid: UserId,
  email: t.union([t.string, t.null]),
  cell: t.union([t.string, t.null]),
  channels: t.array(ChannelName),
  thread: t.type({ tid: ThreadId, channels: t.array(ChannelName) }),
  attributes: JsonObjectC,
}, 'ProfileBody');
