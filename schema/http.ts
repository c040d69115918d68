import * as t from 'io-ts';
import { When } from './bounds.js';
import { Device } from './devices.js';
import { ChannelList, MessageTypes, Mids, ReceiptStatus, ThreadName, ThreadRole } from './events.js';
import { MessageId, ThreadId, UserId } from './ids.js';
import { MessageOpts, MessageText, Recipients, Subject, Urgency } from './message.js';
import { LocalScheduleInput, QuietHoursInput, TimeZone } from './local-time.js';
import { ContactInput } from './profile.js';
import { ProfileAttributes } from './profile-attributes.js';
import { Variants } from './variants.js';

// Request bodies of the HTTP API, verbatim from the msgxc seeds where they exist.
// The codecs themselves tolerate unknown extra fields; /api/v2 refuses them through
// api/route.ts `decode` (schema/unknown-keys.ts), the compatibility routes that share these
// codecs (/api/v1) ignore them as msgxc did. Wrong types are refused everywhere.
// Every field that ends up in an event is decoded with the codec that decodes that event
// (schema/bounds.ts), so a request either fails here with a 400 naming the field, or its
// events can be read back.

const content = { msg: MessageText };
// `variants` (A/B, schema/variants.ts) is stored as `opts.variants`; given here it wins over one in opts.
const contentOptional = {
  opts: MessageOpts,
  scheduled: t.union([When, LocalScheduleInput]),
  subject: Subject,
  variants: Variants,
};

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
/**
 * Multicast/broadcast to a saved segment or a query (issue 13): exactly one of `segment` and
 * `query`; the query is decoded by the filter language's own decoder (schema/segment-query.ts)
 * so that a bad node is named by its path. `uids` is refused beside either.
 */
export const AudienceBody = t.intersection(
  [t.type(content), t.partial({ segment: MessageId, query: t.unknown, uids: t.unknown, ...contentOptional })],
  'AudienceBody',
);
/** Whether a multicast/broadcast body names its audience by segment or query. */
export const namesAudience = (u: unknown): boolean =>
  typeof u === 'object' && u !== null && ('segment' in u || 'query' in u);
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

/** Where a receipt came from, when the client says so (a native app reporting a push it was shown). */
export const ReceiptSource = t.keyof(
  { api: null, websocket: null, webpush: null, fcm: null, apns: null, email: null, sms: null, mqtt: null },
  'ReceiptSource',
);
export const AckBody = t.intersection(
  [t.type({ mids: Mids, status: ReceiptStatus }), t.partial({ channel: ReceiptSource })],
  'AckBody',
);
export const ReadBody = t.intersection([t.type({ mid: MessageId }), t.partial({ tid: ThreadId })], 'ReadBody');
export const InboxDeleteBody = t.type({ mids: Mids }, 'InboxDeleteBody');

/** What a thread's managers may change after creation; at least one field (checked by the route). */
export const ThreadSettingsBody = t.partial(
  { name: ThreadName, opens: t.boolean, openp: t.boolean },
  'ThreadSettingsBody',
);

/** A push receipt without a session: the token from the push payload (schema/receipt-token.ts). */
export const PushReceiptBody = t.intersection(
  [
    t.type({
      token: t.refinement(t.string, (s) => s.length >= 1 && s.length <= 1024, 'receipt token (1..1024 characters)'),
    }),
    t.partial({ status: ReceiptStatus }),
  ],
  'PushReceiptBody',
);

export const ProfileBody = t.partial(
  {
    uid: UserId,
    email: ContactInput,
    cell: ContactInput,
    channels: ChannelList,
    thread: t.type({ tid: ThreadId, channels: ChannelList }),
    attributes: ProfileAttributes,
    timezone: t.union([TimeZone, t.null]),
    quietHours: t.union([QuietHoursInput, t.null]),
  },
  'ProfileBody',
);
