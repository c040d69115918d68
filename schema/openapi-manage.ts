import { closed, type Json, type Operations } from './openapi-types.js';

// The management API an app needs (api/routes/manage.ts) and what a browser or a phone uses
// without a session (api/routes/receipts.ts). Merged into the one document by schema/openapi.ts.
const str = { type: 'string' };
const id = { type: 'string', pattern: '^[A-Za-z0-9._:@+=-]{1,128}$' };
const bool = { type: 'boolean' };
const obj = (required: string[], properties: Json): Json => ({ type: 'object', required, properties });
const json = (schema: Json, description = 'OK'): Json => ({ description, content: { 'application/json': { schema } } });
const roles = { type: 'array', items: { enum: ['admin', 'publisher', 'subscriber'] } };
const timezone = { type: ['string', 'null'] };
const quietHours = { oneOf: [obj(['from', 'to'], { from: str, to: str, timezone: str }), { type: 'null' }] };
const profile = obj(['uid', 'email', 'cell', 'channels', 'threads', 'attributes', 'devices'], {
  uid: str,
  email: { type: ['string', 'null'] },
  cell: { type: ['string', 'null'] },
  channels: { type: 'array', items: str },
  threads: { type: 'object', additionalProperties: { type: 'array', items: str } },
  attributes: { type: 'object' },
  timezone,
  quietHours,
  devices: { type: 'array', items: obj(['deviceId', 'channel'], { deviceId: str, channel: str }) },
});
const devices = obj(['devices'], {
  devices: { type: 'array', items: obj(['deviceId', 'channel'], { deviceId: str, channel: str }) },
});

// GDPR (api/routes/gdpr.ts, docs/gdpr.md). The export's parts are what the broker holds: the
// profile fold (devices whole), the inbox's newest messages, and the user's own events opened.
const erased = obj(['uid', 'erased', 'keysDestroyed', 'position'], {
  uid: str,
  erased: { const: true },
  keysDestroyed: { type: 'integer', minimum: 0, description: 'Data keys destroyed now (0 when erased before)' },
  position: { type: 'integer', minimum: 1, description: 'Log position of the UserErased event' },
});
const subjectExport = obj(['uid', 'exportedAt', 'profile', 'inbox', 'events'], {
  uid: str,
  exportedAt: { type: 'string', format: 'date-time' },
  profile: obj(['email', 'cell', 'channels', 'threads', 'attributes', 'timezone', 'quietHours', 'devices'], {
    email: { type: ['string', 'null'] },
    cell: { type: ['string', 'null'] },
    channels: { type: 'array', items: str },
    threads: { type: 'object', additionalProperties: { type: 'array', items: str } },
    attributes: { type: 'object' },
    timezone,
    quietHours,
    devices: {
      type: 'array',
      items: obj(['deviceId', 'channel', 'device'], { deviceId: str, channel: str, device: { type: 'object' } }),
    },
  }),
  inbox: { type: 'array', items: obj(['mid', 'from', 'msg'], { mid: str, from: str, msg: str }) },
  events: {
    type: 'array',
    items: obj(['position', 'revision', 'type', 'occurredAt', 'data'], {
      position: { type: 'integer' },
      revision: { type: 'integer' },
      type: str,
      occurredAt: str,
      data: { type: 'object', description: 'Sealed fields opened; `redacted` names those whose key is destroyed' },
    }),
  },
});

export const manageSchemas: Record<string, Json> = {
  ThreadSettings: closed({
    ...obj([], { name: { type: 'string', maxLength: 200 }, opens: bool, openp: bool }),
    minProperties: 1,
    description: 'At least one of name, opens, openp; channels, fallback and urgency stay as created',
  }),
  PushReceipt: closed(
    obj(['token'], {
      token: { type: 'string', minLength: 1, maxLength: 1024, description: 'The `receipt` field of the push payload' },
      status: { enum: ['delivered', 'seen', 'read', 'clicked'], default: 'clicked' },
    }),
  ),
};

export const manageOperations: Operations = {
  '/api/v2/users/{uid}/erase': {
    post: {
      access: 'admin',
      params: ['uid'],
      idempotent: true,
      summary:
        'Erase a user (admin): destroys their data keys and records UserErased; every read model and index forgets their personal data. 404 UserNotFound for a user the log never named; again: 200 with keysDestroyed 0',
      ok: json(erased),
    },
  },
  '/api/v2/users/{uid}/export': {
    get: {
      access: 'user',
      params: ['uid'],
      summary: 'Subject-access export (the user themself, or an admin): what the broker holds on the user, as JSON',
      ok: json(subjectExport),
    },
  },
  '/api/v2/devices': {
    get: { access: 'user', summary: "The caller's enlisted devices, newest first", ok: json(devices) },
  },
  '/api/v2/devices/{deviceId}': {
    delete: {
      access: 'user',
      params: ['deviceId'],
      idempotent: true,
      summary: "Remove one of the caller's devices (logout); 404 DeviceNotFound when it is not enlisted",
    },
  },
  '/api/v2/users/{uid}/devices/{deviceId}': {
    delete: {
      access: 'user',
      params: ['uid', 'deviceId'],
      idempotent: true,
      summary: "Remove a user's device (self or admin); 404 DeviceNotFound when it is not enlisted",
    },
  },
  '/api/v2/logout': {
    post: {
      access: 'user',
      body: 'Device',
      idempotent: true,
      summary: 'Remove the device this enlist body names (true even when it was not enlisted)',
    },
  },
  '/api/v2/threads/{tid}/settings': {
    post: {
      access: 'user',
      params: ['tid'],
      body: 'ThreadSettings',
      idempotent: true,
      summary: 'Rename a thread or open/close it (owner, thread admins, admins)',
    },
  },
  '/api/v2/threads/{tid}/members/{uid}': {
    delete: {
      access: 'user',
      params: ['tid', 'uid'],
      query: ['role'],
      idempotent: true,
      summary: 'Remove a member: one role (`?role=`) or every role (owner, thread admins, admins)',
    },
  },
  '/api/v2/threads': {
    get: {
      access: 'user',
      query: ['after', 'limit'],
      summary: 'The threads the caller owns or holds a role in, by tid',
      ok: json(
        obj(['threads', 'next'], {
          threads: {
            type: 'array',
            items: obj(['tid', 'owner', 'roles', 'opens', 'openp'], {
              tid: id,
              owner: bool,
              roles,
              name: str,
              opens: bool,
              openp: bool,
            }),
          },
          next: { type: ['string', 'null'] },
        }),
      ),
    },
  },
  '/api/v2/threads/{tid}/subscribers': {
    get: {
      access: 'user',
      params: ['tid'],
      query: ['after', 'limit'],
      summary: "A thread's subscribers (its members and admins only; 403 MembersOnly otherwise)",
      ok: json(
        obj(['subscribers', 'next'], {
          subscribers: { type: 'array', items: obj(['uid', 'roles'], { uid: id, roles }) },
          next: { type: ['string', 'null'] },
        }),
      ),
    },
  },
  '/api/v2/profile': {
    get: {
      access: 'user',
      summary: "The caller's profile: contact points, preferences, attributes, devices",
      ok: json(profile),
    },
  },
  '/api/v2/users/{uid}/profile': {
    get: { access: 'user', params: ['uid'], summary: "A user's profile (self or admin)", ok: json(profile) },
  },
  '/admin/manage.js': {
    get: {
      access: 'public',
      summary: 'Admin UI script: system message, user look-up, thread members',
      ok: { description: 'JavaScript', content: { 'text/javascript': { schema: str } } },
    },
  },
  '/push': {
    get: {
      access: 'public',
      summary: 'Browser push page: subscribe to web push and enlist (web/push/)',
      ok: { description: 'HTML', content: { 'text/html': { schema: str } } },
    },
  },
  '/push/app.js': {
    get: {
      access: 'public',
      summary: 'Browser push page script: register the worker, subscribe, enlist',
      ok: { description: 'JavaScript', content: { 'text/javascript': { schema: str } } },
    },
  },
  '/push/sw.js': {
    get: {
      access: 'public',
      summary: 'Service worker: a notification per push, the click receipt (POST /api/v2/receipts/push)',
      ok: { description: 'JavaScript', content: { 'text/javascript': { schema: str } } },
    },
  },
  '/api/v2/webpush/vapid-key': {
    get: {
      access: 'public',
      summary: 'The VAPID public key (applicationServerKey); 404 WebPushNotConfigured without MSGXC_VAPID_*',
      errors: { 404: 'WebPushNotConfigured: no MSGXC_VAPID_* keys' },
      ok: json(obj(['publicKey'], { publicKey: str })),
    },
  },
  '/api/v2/receipts/push': {
    post: {
      access: 'public',
      body: 'PushReceipt',
      summary:
        "Record a push's receipt with the signed token its payload carried (no session); 401 when malformed, forged or expired",
      errors: {
        401: 'The receipt token is malformed, forged or expired',
        404: 'ReceiptTokensNotConfigured: this broker signs no receipt tokens (MSGXC_RECEIPT_SECRET)',
        429: "RateLimited: the address's budget of failed authentications (MSGXC_RATE_IP) is spent",
      },
    },
  },
};
