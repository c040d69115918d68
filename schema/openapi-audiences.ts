import { closed, type Json, type Operations } from './openapi-types.js';
import { REACHABLE_CHANNELS } from './user-directory.js';

// The audience routes (issue 13): segments over the search port's user directory, and the user
// import. Merged into the one document by schema/openapi.ts. The filter language is decoded by
// schema/segment-query.ts; `all`/`any`/`not` nest the same node forms (here only as objects).
const str = { type: 'string' };
const int = { type: 'integer', minimum: 0 };
const obj = (required: string[], properties: Json): Json => ({ type: 'object', required, properties });
// A node of the filter language names its keys: another one is refused on every surface
// (schema/segment-query.ts), not by /api/v2 alone.
const node = (required: string[], properties: Json): Json => ({
  ...obj(required, properties),
  additionalProperties: false,
});
const json = (schema: Json, description = 'OK'): Json => ({ description, content: { 'application/json': { schema } } });
const scalar = { type: ['string', 'number', 'boolean'] };
const attribute = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_-]{0,63}$' };
const instant = { type: 'string', format: 'date-time', example: '2026-01-01T00:00:00Z' };
const nested = { type: 'array', maxItems: 100, items: { type: 'object' } };

export const SegmentQuerySchema: Json = {
  description:
    'A node of the filter language: {tag}, {channel}, {attribute, eq|in|gt|lt}, {lastSeen: {after, before}}, {all: [..]}, {any: [..]}, {not: ..}; at most 8 deep and 100 nodes',
  oneOf: [
    node(['tag'], { tag: { type: 'string', minLength: 1, maxLength: 64 } }),
    node(['channel'], { channel: { enum: [...REACHABLE_CHANNELS] } }),
    node(['attribute', 'eq'], { attribute, eq: scalar }),
    node(['attribute', 'in'], { attribute, in: { type: 'array', minItems: 1, maxItems: 100, items: scalar } }),
    node(['attribute', 'gt'], { attribute, gt: { type: 'number' } }),
    node(['attribute', 'lt'], { attribute, lt: { type: 'number' } }),
    node(['lastSeen'], { lastSeen: node([], { after: instant, before: instant }) }),
    node(['all'], { all: nested }),
    node(['any'], { any: nested }),
    node(['not'], { not: { type: 'object' } }),
  ],
};

const progress = obj(
  ['id', 'linesRead', 'usersWritten', 'unchanged', 'errors', 'firstErrors', 'done', 'startedAt', 'updatedAt'],
  {
    id: str,
    linesRead: int,
    usersWritten: { ...int, description: 'lines that appended to the log' },
    unchanged: { ...int, description: 'lines the profile already held (a re-import appends nothing)' },
    errors: int,
    firstErrors: { type: 'array', items: obj(['line', 'field', 'msg'], { line: int, field: str, msg: str }) },
    done: { type: 'boolean' },
    startedAt: str,
    updatedAt: str,
  },
);

export const audienceSchemas: Record<string, Json> = {
  // An unknown field makes its line an error (named), on this route's own terms: the other lines import.
  UserImportLine: {
    additionalProperties: false,
    ...obj(['uid'], {
      uid: { type: 'string', pattern: '^[A-Za-z0-9._:@+=-]{1,128}$' },
      email: { type: ['string', 'null'] },
      cell: { type: ['string', 'null'] },
      tags: { type: 'array', maxItems: 64, items: { type: 'string', minLength: 1, maxLength: 64 } },
      attributes: { type: 'object' },
      timezone: { type: 'string', pattern: '^[A-Za-z0-9_+\\-/.@:]{1,64}$' },
      locale: { type: 'string', pattern: '^[A-Za-z0-9_+\\-/.@:]{1,64}$' },
    }),
    description:
      'One line of the NDJSON body (application/x-ndjson); the body holds any number of them, at most 16 MiB',
  },
  Segment: closed(
    obj(['name', 'query'], {
      name: { type: 'string', minLength: 1, maxLength: 200 },
      query: SegmentQuerySchema,
    }),
  ),
};

export const audienceOperations: Operations = {
  '/api/v2/segments': {
    post: {
      access: 'admin',
      body: 'Segment',
      idempotent: true,
      summary:
        'Save a segment (a name and a query in the filter language, docs/audiences.md); answers its id. A 400 names the path of the bad node',
      ok: json(obj(['id'], { id: str })),
    },
    get: {
      access: 'admin',
      query: ['after', 'limit'],
      summary:
        'The saved segments, oldest first: `next` is the `after` of the page that follows (null on the last page)',
      ok: json(
        obj(['segments', 'next'], {
          segments: {
            type: 'array',
            items: obj(['id', 'name', 'query', 'by', 'definedAt'], {
              id: str,
              name: str,
              query: SegmentQuerySchema,
              by: str,
              definedAt: str,
            }),
          },
          next: { type: ['string', 'null'] },
        }),
      ),
    },
  },
  '/api/v2/segments/{id}': {
    get: {
      access: 'admin',
      params: ['id'],
      summary: "A segment's name and query",
      ok: json(obj(['id', 'name', 'query'], { id: str, name: str, query: { type: 'object' } })),
    },
  },
  '/api/v2/users/import': {
    post: {
      access: 'admin',
      body: 'UserImportLine',
      query: ['id', 'firstLine'],
      summary:
        "Import users from NDJSON, one user per line (admins; body cap 16 MiB, send a larger file in parts under one `id`, with `firstLine` its first line number). Idempotent per user: a line the profile already holds appends nothing. Answers once every good line is durable and the part is recorded in the log (UsersImported): the whole import's recorded totals, the same on every node (a part retried under the same `id` and `firstLine` counts once); bad lines are listed by line and field, worded without the line's values",
      ok: json(progress),
    },
  },
  '/api/v2/users/import/{id}': {
    get: {
      access: 'admin',
      params: ['id'],
      summary:
        "An import's totals, from any node: its recorded parts summed (lines read, users written, unchanged, errors, the first 100 errors by line), plus its parts still running on the node asked (`done` false while one runs there); 404 when no part is recorded or running here",
      ok: json(progress),
    },
  },
  '/api/v2/segments/{id}/count': {
    get: {
      access: 'admin',
      params: ['id'],
      summary:
        "How many users the segment selects now, in the search store's user directory (which follows the log: see GET /readyz)",
      ok: json(obj(['id', 'count'], { id: str, count: int })),
    },
  },
};
