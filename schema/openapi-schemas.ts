import { LIMITS } from './bounds.js';
import { MAX_VARIANTS, MAX_VARIANT_TEXT, MAX_VARIANT_WEIGHT } from './variants.js';
import { TTL_MAX_SECONDS } from './message.js';
import { MAX_CAMPAIGN_RATE, THROTTLE_CHANNELS } from './throttle.js';
import { PAYLOAD_LIMITS } from './payload.js';
import { SegmentQuerySchema } from './openapi-audiences.js';
import { closed } from './openapi-types.js';

// The OpenAPI document's component schemas: request bodies (their bounds are the codecs',
// schema/bounds.ts) and the answers of the read routes. Written by hand like the document.
type Json = Record<string, unknown>;

export const str = { type: 'string' };
export const id = { type: 'string', pattern: '^[A-Za-z0-9._:@+=-]{1,128}$' };
const text = (minLength: number, maxLength: number): Json => ({ type: 'string', minLength, maxLength });
const list = (items: Json, minItems: number, maxItems: number): Json => ({ type: 'array', items, minItems, maxItems });
// The bounds are the codecs' (schema/bounds.ts); the README's "Bounds" table says the same.
const payload = `A JSON object: depth <= 32, <= ${PAYLOAD_LIMITS.values} values, <= ${PAYLOAD_LIMITS.chars} characters of keys and strings`;
const rate = { type: 'integer', minimum: 1, maximum: MAX_CAMPAIGN_RATE };
const throttle = {
  type: 'object',
  minProperties: 1,
  additionalProperties: false,
  properties: Object.fromEntries(THROTTLE_CHANNELS.map((c) => [c, rate])),
  description:
    'Throttling per campaign: deliveries of this message per second per channel, on top of the channel limit (MSGXC_THROTTLE_<CHANNEL>); a bad value or an unknown channel is a 400 naming `opts.throttle.<channel>`; recorded with the message (docs/campaigns.md)',
  example: { email: 50, sms: 5, webpush: 1000 },
};
const opts = {
  type: 'object',
  description: `${payload}; \`urgency\` (1-4), \`ttl\` (s), \`collapse\`, \`throttle\` are interpreted`,
  properties: {
    urgency: { type: 'integer', minimum: 1, maximum: 4 },
    ttl: { type: 'integer', minimum: 0, maximum: TTL_MAX_SECONDS },
    collapse: text(1, LIMITS.label),
    throttle,
  },
};
const hhmm = { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', example: '22:00' };
const tzText = 'IANA time zone name known to the runtime (e.g. Europe/Paris); anything else is a 400 naming the field';
const when = {
  description:
    'In the future, at most 366 days ahead; or a local wall-clock time: the next `at` in `timezone`, or with `"recipient"` at `at` in each recipient\'s profile zone (else `fallback`, else UTC) (docs/campaigns.md)',
  oneOf: [
    { type: 'string', format: 'date-time' },
    { type: 'integer', description: 'epoch ms' },
    closed({
      type: 'object',
      required: ['at', 'timezone'],
      properties: {
        at: hhmm,
        timezone: { type: 'string', description: `"recipient" or an ${tzText}` },
        fallback: { type: 'string', description: tzText },
      },
    }),
  ],
};
const variants = {
  ...list(
    closed({
      type: 'object',
      required: ['name', 'msg', 'weight'],
      properties: {
        name: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,31}$' },
        msg: text(1, MAX_VARIANT_TEXT),
        weight: { type: 'integer', minimum: 1, maximum: MAX_VARIANT_WEIGHT },
        subject: text(0, LIMITS.subject),
      },
    }),
    2,
    MAX_VARIANTS,
  ),
  description:
    'A/B variants (distinct names): each recipient receives one variant, chosen by a stable hash of (mid, uid) weighted by `weight`; stored as `opts.variants` (docs/campaigns.md)',
};
const content = { msg: text(1, LIMITS.text), opts, scheduled: when, subject: text(0, LIMITS.subject), variants };
const channels = list({ type: 'string', pattern: '^~?[a-z][a-z0-9_-]{0,31}$' }, 0, LIMITS.channels);
export const obj = (required: string[], properties: Json): Json => ({ type: 'object', required, properties });
/** A request body's object whose unknown keys /api/v2 refuses (openapi-types.ts `closed`). */
const body = (required: string[], properties: Json): Json => closed(obj(required, properties));

// Multicast/broadcast by a saved segment or a query (docs/audiences.md): resolved once, of any
// size (none: 422), recorded as AudienceResolved with the message; past LIMITS.recipients users
// the uids go in AudienceChunk parts of LIMITS.audienceChunk before it.
const byAudience = [
  body(['segment', 'msg'], {
    segment: { ...id, description: 'a segment id (POST /api/v2/segments); unknown: 404' },
    ...content,
  }),
  body(['query', 'msg'], { query: SegmentQuerySchema, ...content }),
];

export const schemas: Record<string, Json> = {
  Error: obj(['code', 'msg'], { code: str, msg: str }),
  Publish: body(['tid', 'msg'], { tid: id, ...content }),
  Send: body(['uid', 'msg'], { uid: id, ...content }),
  Multicast: {
    oneOf: [body(['uids', 'msg'], { uids: list(id, 1, LIMITS.recipients), ...content }), ...byAudience],
  },
  Broadcast: { oneOf: [body(['msg'], content), ...byAudience] },
  Cancel: body(['mid'], { mid: id, tid: id }),
  Thread: body(['tid'], { tid: id }),
  Unsubscribe: body(['tid'], { tid: id, uid: id }),
  Device: {
    oneOf: [
      body(['os', 'token'], {
        os: { enum: ['ios', 'android'] },
        token: { ...text(1, LIMITS.deviceToken), pattern: '^[\\x21-\\x7e]+$' },
      }),
      // The browser's PushSubscription.toJSON(): open, its unknown keys dropped (schema/devices.ts).
      obj(['endpoint', 'keys'], {
        endpoint: {
          type: 'string',
          format: 'uri',
          maxLength: LIMITS.endpoint,
          description: 'https, on a host of MSGXC_WEBPUSH_ALLOWED_HOSTS (else 422 PushEndpointIsNotAllowed)',
        },
        expirationTime: { type: ['number', 'null'] },
        keys: obj(['p256dh', 'auth'], { p256dh: text(1, 256), auth: text(1, 64) }),
      }),
    ],
  },
  CreateThread: body([], {
    tid: id,
    name: text(0, LIMITS.name),
    opens: { type: 'boolean' },
    openp: { type: 'boolean' },
    mtypes: list(text(1, LIMITS.label), 0, LIMITS.mtypes),
    urgency: { type: 'integer', minimum: 1, maximum: 4 },
    channels,
    fallback: channels,
  }),
  Member: body(['uid', 'role'], { uid: id, role: { enum: ['admin', 'publisher', 'subscriber'] } }),
  Ack: body(['mids', 'status'], {
    mids: list(id, 1, LIMITS.mids),
    status: { enum: ['delivered', 'seen', 'read', 'clicked'] },
    channel: {
      enum: ['api', 'websocket', 'webpush', 'fcm', 'apns', 'email', 'sms', 'mqtt'],
      description: 'where the receipt came from, when the client says so (a native app reporting a push it was shown)',
    },
  }),
  Read: body(['mid'], { mid: id, tid: id }),
  InboxDelete: body(['mids'], { mids: list(id, 1, LIMITS.mids) }),
  Profile: body([], {
    uid: id,
    email: { type: ['string', 'null'], maxLength: 320 },
    cell: { type: ['string', 'null'], maxLength: 320 },
    channels,
    thread: body(['tid', 'channels'], { tid: id, channels }),
    attributes: {
      type: 'object',
      description: `${payload}. Reserved keys the user directory reads (segments select on them): \`tags\`, a list of at most 64 tags of 1..64 characters; \`locale\`, a name like de-DE; null clears either`,
    },
    timezone: { type: ['string', 'null'], description: tzText, example: 'Europe/Paris' },
    quietHours: {
      oneOf: [
        body(['from', 'to'], { from: hhmm, to: hhmm, timezone: { type: 'string', description: tzText } }),
        { type: 'null' },
      ],
      description:
        'Non-urgent push, email and SMS wait until `to` (local time); urgency 4 and the websocket do not. Zone: its own, else the profile `timezone`, else UTC. `to` before `from` spans midnight (docs/campaigns.md)',
    },
  }),
  Message: obj(['mid', 'from', 'msg', 'opts', 'urgency', 'at'], {
    mid: id,
    tid: id,
    from: id,
    msg: str,
    opts,
    urgency: { type: 'integer' },
    at: { type: 'string', format: 'date-time' },
    scheduled: { type: 'string', format: 'date-time' },
  }),
  MessagePage: obj(['messages', 'next'], {
    messages: { type: 'array', items: { $ref: '#/components/schemas/Message' } },
    next: { type: ['string', 'null'] },
  }),
  ThreadView: obj(
    [
      'tid',
      'owner',
      'opens',
      'openp',
      'channels',
      'fallback',
      'mtypes',
      'admins',
      'publishers',
      'subscribers',
      'createdAt',
    ],
    {
      tid: id,
      owner: id,
      opens: { type: 'boolean' },
      openp: { type: 'boolean' },
      name: str,
      urgency: { type: 'integer', minimum: 1, maximum: 4 },
      channels: { type: 'array', items: str },
      fallback: { type: 'array', items: str },
      mtypes: { type: 'array', items: str },
      admins: { type: 'array', items: id },
      publishers: { type: 'array', items: id },
      subscribers: { type: 'integer', minimum: 0 },
      createdAt: { type: 'string', format: 'date-time' },
    },
  ),
  Devices: obj(['devices'], {
    devices: {
      type: 'array',
      items: obj(['deviceId', 'channel', 'device', 'enlistedAt'], {
        deviceId: str,
        channel: { enum: ['apns', 'fcm', 'webpush'] },
        device: { type: 'object' },
        enlistedAt: { type: 'string', format: 'date-time' },
      }),
    },
  }),
  EventPage: obj(['events', 'next'], {
    events: {
      type: 'array',
      items: obj(['stream', 'revision', 'position', 'type', 'data', 'metadata'], {
        stream: str,
        revision: { type: 'integer', minimum: 0 },
        position: { type: 'integer', minimum: 1 },
        type: str,
        // null, with `unreadable` saying why, for a row whose stored text is not JSON (edited on disk)
        data: { type: ['object', 'null'] },
        metadata: { type: ['object', 'null'] },
        unreadable: str,
      }),
    },
    next: { type: ['integer', 'null'] },
  }),
  StreamPage: obj(['streams', 'next'], {
    streams: {
      type: 'array',
      items: obj(['stream', 'position', 'createdAt', 'type'], {
        stream: str,
        position: { type: 'integer', minimum: 1 },
        createdAt: { type: 'string', format: 'date-time' },
        type: str,
      }),
    },
    next: { type: ['integer', 'null'] },
  }),
};
