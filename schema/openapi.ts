import { id, obj, schemas as coreSchemas, str } from './openapi-schemas.js';
import { manageOperations, manageSchemas } from './openapi-manage.js';
import { compatOperations, compatSchemas } from './openapi-compat.js';
import { operation } from './openapi-operation.js';
import { analyticsOperations, analyticsSchemas } from './openapi-analytics.js';
import { adminUiOperations } from './openapi-admin-ui.js';
import { audienceOperations, audienceSchemas } from './openapi-audiences.js';
import { lenient, mergeOperations, type Json, type Operations } from './openapi-types.js';

// The OpenAPI 3.1 document of the HTTP API, written by hand on purpose: a test compares it
// with the routes the server mounts (method, path, auth, body), so neither can drift alone.

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json, description = 'OK'): Json => ({ description, content: { 'application/json': { schema } } });
const text = (type: string, description: string): Json => ({ description, content: { [type]: { schema: str } } });
const positions = { type: 'array', items: obj(['name', 'position'], { name: str, position: { type: 'integer' } }) };

const core: Operations = {
  '/api/v2/ping': { get: { access: 'public', summary: 'Liveness (seed)' } },
  '/api/v1/ping': { get: { access: 'public', summary: 'Liveness (v1)' } },
  '/healthz': {
    get: { access: 'public', summary: 'Process alive', ok: json(obj(['status'], { status: { const: 'ok' } })) },
  },
  '/readyz': {
    get: {
      access: 'public',
      summary: 'Ready to serve',
      ok: json(
        obj(['status', 'head', 'projections'], {
          status: { const: 'ready' },
          head: { type: 'integer' },
          projections: positions,
        }),
      ),
      unavailable: 'NotReady: still starting',
    },
  },
  '/metrics': { get: { access: 'public', summary: 'Prometheus metrics', ok: text('text/plain', 'Prometheus text') } },
  '/api/v2/openapi.json': {
    get: {
      access: 'public',
      summary: 'This document',
      ok: json(obj(['openapi', 'paths'], { openapi: str, paths: { type: 'object' } })),
    },
  },
  '/api/v2/publish': { post: { access: 'user', body: 'Publish', idempotent: true, summary: 'Publish to a thread' } },
  '/api/v2/send': { post: { access: 'admin', body: 'Send', idempotent: true, summary: 'Send to a user' } },
  '/api/v2/multicast': {
    post: {
      access: 'admin',
      body: 'Multicast',
      idempotent: true,
      summary:
        'Send to users (an explicit list: 1..10000 uids), or to a segment or query of any size (resolved once; beyond 10,000 users stored in parts: docs/audiences.md)',
    },
  },
  '/api/v2/broadcast': {
    post: {
      access: 'admin',
      body: 'Broadcast',
      idempotent: true,
      summary:
        'Send to everyone, or to a segment or query of any size (resolved once; beyond 10,000 users stored in parts: docs/audiences.md)',
    },
  },
  '/api/v2/cancel': {
    post: {
      access: 'user',
      body: 'Cancel',
      idempotent: true,
      summary: 'Cancel a scheduled message',
      conflict: 'MessageIsNotScheduled, MessageAlreadyDue, MessageWasRetracted',
    },
  },
  // v1 bodies are v2's, but a key the broker does not know is ignored there (the V1 schemas).
  '/api/v1/send': { post: { access: 'user', body: 'V1Send', idempotent: true, summary: 'v1 send (any token)' } },
  '/api/v1/multicast': { post: { access: 'admin', body: 'V1Multicast', idempotent: true, summary: 'v1 multicast' } },
  '/api/v1/broadcast': { post: { access: 'admin', body: 'V1Broadcast', idempotent: true, summary: 'v1 broadcast' } },
  '/api/v2/messages/{mid}': {
    get: { access: 'user', params: ['mid'], summary: 'A message', ok: json(ref('Message')) },
    delete: {
      access: 'user',
      params: ['mid'],
      idempotent: true,
      summary: 'Retract, or delete from own inbox',
      ok: json(obj(['effect'], { effect: { enum: ['retracted', 'deleted_from_inbox'] } })),
    },
  },
  '/api/v2/threads': {
    post: {
      access: 'user',
      body: 'CreateThread',
      idempotent: true,
      summary: 'Create a thread',
      ok: json(obj(['tid'], { tid: id }), 'Created'),
      conflict: 'ThreadAlreadyExists',
    },
  },
  '/api/v2/threads/{tid}': {
    get: { access: 'user', params: ['tid'], summary: 'A thread', ok: json(ref('ThreadView')) },
  },
  '/api/v2/threads/{tid}/members': {
    post: { access: 'user', params: ['tid'], body: 'Member', idempotent: true, summary: 'Add a member' },
  },
  '/api/v2/threads/{tid}/messages': {
    get: {
      access: 'user',
      params: ['tid'],
      query: ['before', 'limit'],
      summary: 'Thread messages',
      ok: json(ref('MessagePage')),
    },
  },
  '/api/v2/subscribe': { post: { access: 'user', body: 'Thread', idempotent: true, summary: 'Subscribe' } },
  '/api/v2/unsubscribe': { post: { access: 'user', body: 'Unsubscribe', idempotent: true, summary: 'Unsubscribe' } },
  '/api/v2/enlist': { post: { access: 'user', body: 'Device', idempotent: true, summary: 'Enlist a device' } },
  '/api/v1/native/subscribe': { post: { access: 'user', body: 'V1Device', idempotent: true, summary: 'v1 enlist' } },
  '/api/v2/profile': {
    post: { access: 'user', body: 'Profile', idempotent: true, summary: 'Contact points, preferences, attributes' },
  },
  '/api/v2/users/{uid}/devices': {
    get: { access: 'user', params: ['uid'], summary: "A user's devices", ok: json(ref('Devices')) },
  },
  '/api/v2/inbox': {
    get: { access: 'user', query: ['before', 'limit', 'unseen'], summary: 'Inbox', ok: json(ref('MessagePage')) },
  },
  '/api/v2/ack': { post: { access: 'user', body: 'Ack', idempotent: true, summary: 'Receipts' } },
  '/api/v2/read': { post: { access: 'user', body: 'Read', idempotent: true, summary: 'Last-read marker' } },
  '/api/v2/inbox/delete': {
    post: { access: 'user', body: 'InboxDelete', idempotent: true, summary: 'Delete from own inbox' },
  },
  '/api/v2/streams/{stream}': {
    get: {
      access: 'auditor',
      params: ['stream'],
      query: ['from', 'limit'],
      summary: 'One stream',
      ok: json(ref('EventPage')),
    },
  },
  '/api/v2/messages': {
    get: {
      access: 'admin',
      query: ['scheduled', 'limit'],
      required: { scheduled: ['upcoming', 'recent'] },
      summary: 'Upcoming scheduled or recently triaged messages',
      ok: json(obj(['messages'], { messages: { type: 'array', items: { type: 'object' } } })),
    },
  },
  '/admin': { get: { access: 'public', summary: 'Admin UI page', ok: text('text/html', 'HTML') } },
  '/admin/app.js': { get: { access: 'public', summary: 'Admin UI script', ok: text('text/javascript', 'JavaScript') } },
  '/api/v2/admin/stats': {
    get: {
      access: 'admin',
      summary: 'Counters for the admin UI',
      ok: json(
        obj(['head', 'projections', 'rebuild'], {
          head: { type: 'integer' },
          projections: positions,
          rebuild: { type: 'object' },
        }),
      ),
    },
  },
  '/api/v2/admin/rebuild': {
    post: {
      access: 'admin',
      query: ['allowSkips'],
      summary:
        'Build every read model anew from the log beside the live ones (which keep serving and following), then swap them in',
      conflict:
        'RebuildRunning (one is running); RebuildWouldSkip (it would skip undecodable events: `msg` names how many and at which positions; retry with allowSkips=true)',
      ok: json(
        obj(['running', 'position', 'head'], {
          running: { type: 'boolean' },
          position: { type: 'integer' },
          head: { type: 'integer' },
        }),
        'Accepted',
      ),
    },
  },
  '/api/v2/admin/dead-letters/retry': {
    post: {
      access: 'admin',
      summary:
        'Try every dead letter again: a rebuild beside the live read models applies the whole log in order (those that still fail are quarantined again); progress in /api/v2/admin/stats',
      conflict: 'RebuildRunning (one is running)',
      ok: json(
        obj(['retrying', 'rebuild'], {
          retrying: { type: 'integer' },
          rebuild: obj(['running', 'position', 'head'], {
            running: { type: 'boolean' },
            position: { type: 'integer' },
            head: { type: 'integer' },
          }),
        }),
        'Accepted',
      ),
    },
  },
  '/api/v2/admin/dead-letters': {
    get: {
      access: 'auditor',
      query: ['follower', 'limit'],
      summary: 'Events a projection could not decode or handle and quarantined, by position',
      ok: json(
        obj(['count', 'deadLetters'], {
          count: { type: 'integer' },
          deadLetters: {
            type: 'array',
            items: obj(['follower', 'position', 'stream', 'type', 'reason', 'at'], {
              follower: str,
              position: { type: 'integer' },
              stream: str,
              type: str,
              reason: str,
              at: { type: 'string', format: 'date-time' },
            }),
          },
        }),
      ),
    },
  },
  '/api/v2/events': {
    get: {
      access: 'auditor',
      query: ['after', 'limit', 'type', 'stream', 'actor', 'correlationId', 'from', 'to'],
      summary:
        'The log, filtered: `type` (comma-separated event types), `stream` (name prefix), `actor` (uid), `correlationId`, `from` (inclusive) and `to` (exclusive) ISO-8601 times on occurredAt; all given must match. A page reads at most 10000 events: it may be short and still have `next` (pass it as `after`); an unknown parameter is a 400',
      ok: json(ref('EventPage')),
    },
  },
  '/api/v2/streams': {
    get: {
      access: 'auditor',
      query: ['after', 'limit', 'prefix'],
      summary:
        'Streams in the order they were created (position, time and type of their first event), by name `prefix`; paged like /events',
      ok: json(ref('StreamPage')),
    },
  },
  '/api/v2/outbox': {
    get: {
      access: 'admin',
      query: ['before', 'limit', 'channel', 'mid'],
      summary: 'What providers without credentials would have been sent, newest first',
      ok: json(
        obj(['entries', 'next'], {
          entries: {
            type: 'array',
            items: obj(['id', 'at', 'channel', 'deliveryId', 'mid', 'to', 'payload'], {
              id: { type: 'integer' },
              at: { type: 'string', format: 'date-time' },
              channel: { enum: ['webpush', 'fcm', 'apns', 'email', 'sms', 'mqtt'] },
              deliveryId: str,
              mid: id,
              to: str,
              payload: { type: 'object' },
            }),
          },
          next: { type: ['integer', 'null'] },
        }),
      ),
    },
  },
  '/api/v2/presence/{uid}': {
    get: {
      access: 'admin',
      params: ['uid'],
      summary: 'Is a user online (websocket sessions, across nodes)',
      ok: json(
        obj(['uid', 'online', 'sessions', 'nodes'], {
          uid: id,
          online: { type: 'boolean' },
          sessions: { type: 'integer' },
          nodes: { type: 'array', items: obj(['node', 'sessions'], { node: str, sessions: { type: 'integer' } }) },
        }),
      ),
    },
  },
  '/api/v2/client.js': {
    get: {
      access: 'public',
      summary: 'The websocket client library (ES module)',
      ok: { description: 'JavaScript', content: { 'text/javascript': { schema: str } } },
    },
  },
};

/** Every operation of every surface; the OpenAPI test compares it with the mounted routes. */
export const operations: Operations = mergeOperations(
  core,
  manageOperations,
  compatOperations,
  analyticsOperations,
  adminUiOperations,
  audienceOperations,
);
export const schemas: Record<string, Json> = {
  ...coreSchemas,
  ...manageSchemas,
  ...compatSchemas,
  ...analyticsSchemas,
  ...audienceSchemas,
  // /api/v1 ignores body keys it does not know, as msgxc did (api/route.ts): the same bodies, open.
  ...Object.fromEntries(
    ['Send', 'Multicast', 'Broadcast', 'Device'].map((name) => [`V1${name}`, lenient(coreSchemas[name]) as Json]),
  ),
};

export const openApiDocument = (): Json => ({
  openapi: '3.1.0',
  info: {
    title: 'msgxc',
    version: '0.1.0',
    description: 'Event-sourced message exchange. Every 2xx to a command means its events are durable in the log.',
  },
  // Not an HTTP operation, so outside `paths`: the websocket endpoint and its frames (README).
  'x-websocket': {
    path: '/api/v2/ws',
    auth: 'Authorization header, `token` query parameter or `xsajwt` cookie; 401 at the upgrade',
    query: {
      since: 'resume after this message id',
      compat: '`webservice-notification`: that system\'s {name, data} frames instead of ours (README, "Compatibility")',
    },
    frames: 'see README, "Realtime"; msgxc\'s {slug} frames are accepted as aliases',
  },
  components: { schemas, securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
  paths: Object.fromEntries(
    Object.entries(operations).map(([path, ops]) => [
      path,
      Object.fromEntries(Object.entries(ops).map(([m, op]) => [m, operation(op, m, path)])),
    ]),
  ),
});
