import type { Json, Operations } from './openapi-types.js';

// The compatibility surfaces of the seed systems (README, "Compatibility"): onadata's
// messaging API (api/routes/onadata.ts). Merged into the one document by schema/openapi.ts.
const str = { type: 'string' };
const obj = (required: string[], properties: Json): Json => ({ type: 'object', required, properties });
const json = (schema: Json, description = 'OK'): Json => ({ description, content: { 'application/json': { schema } } });
const onadataId = {
  oneOf: [
    { type: 'integer', minimum: 0 },
    { type: 'string', pattern: '^[A-Za-z0-9._:@+=-]{1,128}$' },
  ],
};
const message = {
  id: { type: 'integer', description: 'Log position of the publication' },
  verb: { const: 'message' },
  message: str,
  user: { type: 'string', description: 'The sender' },
  timestamp: { type: 'string', format: 'date-time' },
};

export const compatSchemas: Record<string, Json> = {
  OnadataMessageIn: obj(['target_type', 'target_id', 'message'], {
    target_type: { enum: ['user', 'xform', 'project'] },
    target_id: onadataId,
    message: { type: 'string', minLength: 1, maxLength: 65_536 },
  }),
  OnadataMessage: obj(['id', 'verb', 'message', 'user', 'timestamp'], message),
  Notify: {
    ...obj(['content', 'users'], {
      content: { type: 'string', minLength: 1, maxLength: 65_536 },
      users: {
        description: '[{id, email}] (1..10000), or that list as a JSON string (the seed posted a form field)',
        oneOf: [
          {
            type: 'array',
            minItems: 1,
            maxItems: 10_000,
            items: obj(['id'], { id: onadataId, email: { type: ['string', 'null'], format: 'email' } }),
          },
          str,
        ],
      },
      type: { type: 'string', maxLength: 64 },
      title: { type: 'string', maxLength: 998 },
      url: { type: 'string', maxLength: 2048 },
      icon: { type: 'string', maxLength: 2048 },
      image: { type: 'string', maxLength: 2048 },
      email_send: { type: ['boolean', 'string'], description: 'true/false, or "true"/"1"/"false"/"0" in a form' },
      email_force: { type: ['boolean', 'string'] },
      email_subject: { type: 'string', maxLength: 998 },
      email_content: { type: 'string', maxLength: 65_536 },
      email_mime: { type: 'string', maxLength: 16 },
      email_type: { enum: ['text/html', 'text/plain'] },
    }),
    description: 'Also accepted as application/x-www-form-urlencoded fields',
  },
};

const ref = { $ref: '#/components/schemas/OnadataMessage' };
const onadata = (base: string): Operations => ({
  [base]: {
    post: {
      access: 'user',
      body: 'OnadataMessageIn',
      idempotent: true,
      summary:
        'onadata: message a user (self or admin), or a form or project (the thread `xform:<id>` / `project:<id>`, publish rights); 400 TargetNotFound for an unknown or hidden thread',
      ok: json(
        obj(['id', 'verb', 'message', 'user', 'timestamp', 'target_type', 'target_id'], {
          ...message,
          target_type: { enum: ['user', 'xform', 'project'] },
          target_id: onadataId,
        }),
        'Created',
      ),
    },
    get: {
      access: 'user',
      query: ['target_type', 'target_id', 'verb', 'page_size', 'before'],
      required: { target_type: ['user', 'xform', 'project'] },
      summary:
        "onadata: a target's messages, newest first (`Link: rel=next`); [] for a target the caller may not read (the user themself, thread members, admins)",
      ok: json({ type: 'array', items: ref }),
    },
  },
  [`${base}/{pk}`]: {
    get: {
      access: 'user',
      params: ['pk'],
      summary: 'onadata: one message (sender, recipients, admins)',
      ok: json(ref),
    },
    delete: {
      access: 'user',
      params: ['pk'],
      idempotent: true,
      summary: 'onadata: retract (sender, admin) or delete from your own inbox (recipient); 204',
      ok: { description: 'No Content' },
    },
  },
});

export const compatOperations: Operations = {
  ...onadata('/api/messaging'),
  ...onadata('/api/v1/messaging'),
  '/notify': {
    post: {
      access: 'admin',
      body: 'Notify',
      idempotent: true,
      summary:
        'webservice-notification: one notification per listed user, live to those online; email_send/email_force (server side only: no CORS grant, no preflight)',
    },
  },
};
