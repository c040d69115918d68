import * as t from 'io-ts';
import { When } from './bounds.js';
import { Device } from './devices.js';
import { ChannelList, MessageTypes, Mids, ReceiptStatus, ThreadName, ThreadRole } from './events.js';
import { MessageId, ThreadId, UserId } from './ids.js';
import { MessageOpts, MessageText, Recipients, Subject, Urgency } from './message.js';
import { Payload } from './payload.js';
import { ContactInput } from './profile.js';

// Request bodies of the HTTP API, verbatim from the msgxc seeds where they exist.
// Unknown extra fields are tolerated (old clients send them); wrong types are not.
// Every field that ends up in an event is decoded with the codec that decodes that event
// (schema/bounds.ts), so a request either fails here with a 400 naming the field, or its
// events can be read back.

const content = { msg: MessageText };
const contentOptional = { opts: MessageOpts, scheduled: When, subject: Subject };

export const PublishBody = t.intersection(
  [t.type({ tid: ThreadId, ...content }), t.partial(contentOptional)],
  'PublishBody',
);
export const SendBody = t.intersection([t.type({ uid: UserId, ...content }), t.partial(contentOptional)], 'SendBody');
export const MulticastBody = t.intersection(
  [t.type({ uids: Recipients, ...content }), t.partial(contentOptional)],
  'MulticastBody',
);
export const BroadcastBody = t.intersection([t.type(content), t.partial(contentOptional)], 'BroadcastBody');
export const CancelBody = t.intersection([t.type({ mid: MessageId }), t.partial({ tid: ThreadId })], 'CancelBody');
export const ThreadBody = t.type({ tid: ThreadId }, 'ThreadBody');
export const UnsubscribeBody = t.intersection(
  [t.type({ tid: ThreadId }), t.partial({ uid: UserId })],
  'UnsubscribeBody',
);
export const EnlistBody = Device;

export const CreateThreadBody = t.partial(
  {
    tid: ThreadId,
    name: ThreadName,
    opens: t.boolean,
    openp: t.boolean,
    mtypes: MessageTypes,
    urgency: Urgency,
    channels: ChannelList,
    fallback: ChannelList,
  },
  'CreateThreadBody',
);

export const MemberBody = t.type({ uid: UserId, role: ThreadRole }, 'MemberBody');
export const MemberRemoveBody = t.type({ uid: UserId, role: ThreadRole }, 'MemberRemoveBody');

export const AckBody = t.type({ mids: Mids, status: ReceiptStatus }, 'AckBody');
export const ReadBody = t.intersection([t.type({ mid: MessageId }), t.partial({ tid: ThreadId })], 'ReadBody');
export const InboxDeleteBody = t.type({ mids: Mids }, 'InboxDeleteBody');

export const ProfileBody = t.partial(
  {
    uid: UserId,
    email: ContactInput,
    cell: ContactInput,
    channels: ChannelList,
    thread: t.type({ tid: ThreadId, channels: ChannelList }),
    attributes: Payload,
  },
  'ProfileBody',
);
