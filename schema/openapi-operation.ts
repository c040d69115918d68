import { str } from './openapi-schemas.js';
import { RATE_LIMITED, SHED } from './openapi-texts.js';
import type { Json, Op } from './openapi-types.js';

// How one operation of the table (schema/openapi.ts) becomes an OpenAPI operation object: its
// parameters, request body and every response it can give, the error statuses derived from
// what the operation declares (a body, path parameters, idempotency, access).
const TRUE = { description: 'Accepted and durable', content: { 'application/json': { schema: { const: true } } } };
const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json, description = 'OK'): Json => ({ description, content: { 'application/json': { schema } } });

const errorResponse = (description: string): Json => json(ref('Error'), description);

// Every 400 an operation can answer, by its `code`: a header sent twice (any operation), the
// body's (decoded after a depth check that runs before parsing, and after the framing checks),
// the path and query parameters', and a malformed Idempotency-Key's.
const badRequest = (op: Op, path: string): string | undefined => {
  const causes = [
    'DuplicateHeader (Authorization, Idempotency-Key, Content-Type, Origin or Host sent more than once, named in `msg`)',
    ...(op.body !== undefined
      ? [
          'MalformedJson, JsonTooDeep (nested deeper than MSGXC_JSON_MAX_DEPTH), InvalidBody (the field is named in `msg`), BadRequestFraming (duplicate Content-Length, Transfer-Encoding or Host)',
        ]
      : []),
    // api/route.ts `unknownKeysOn`: the compatibility routes ignore such keys.
    ...(op.body !== undefined && path.startsWith('/api/v2/')
      ? [
          'InvalidBody (a key that an object of the body does not list where its schema says `additionalProperties: false`, named with its path in `msg`: `urgncy: unknown field (expected one of ...)`)',
        ]
      : []),
    ...((op.params ?? []).length > 0
      ? [
          'InvalidPathParameter (malformed percent-encoding, the parameter is named in `msg`), InvalidQuery (a path parameter that is not an id, named)',
        ]
      : []),
    ...((op.query ?? []).length > 0 ? ['InvalidQuery (a query parameter out of its range, named)'] : []),
    'InvalidQuery (on /api/v2: a query parameter the operation does not list, or one given twice, named)',
    ...(op.idempotent === true
      ? ['InvalidQuery (an Idempotency-Key that is not 1..255 visible ASCII characters)']
      : []),
  ];
  return causes.length > 0 ? causes.join('; ') : undefined;
};

const conflict = (op: Op): string | undefined => {
  const causes = [
    ...(op.conflict !== undefined ? [op.conflict] : []),
    ...(op.idempotent === true
      ? ['IdempotencyKeyInProgress (a request with this key is still running; Retry-After)']
      : []),
  ];
  return causes.length > 0 ? causes.join('; ') : undefined;
};

const queryParameter = (op: Op, name: string): Json => {
  const values = op.required?.[name];
  return values === undefined
    ? { name, in: 'query', required: false, schema: str }
    : { name, in: 'query', required: true, schema: { enum: values } };
};

const unavailable = (op: Op, method: string): string | undefined => {
  const causes = [
    ...(op.unavailable !== undefined ? [op.unavailable] : []),
    ...(op.access !== 'public' && method !== 'get' ? [SHED] : []),
  ];
  return causes.length > 0 ? causes.join('; ') : undefined;
};

/**
 * What every read of /api/v2 takes besides its own parameters (api/deps.ts, consistentRead): a
 * read waits (2 s at most, then answers with `X-Stale: true`) until the read models hold the log
 * up to `min_position` (a write's `X-Position`), or up to the head; `consistency=eventual` does
 * not wait.
 */
export const READ_OPTIONS = ['consistency', 'min_position'] as const;
const readOption = (name: (typeof READ_OPTIONS)[number]): Json =>
  name === 'consistency'
    ? {
        name,
        in: 'query',
        required: false,
        schema: { enum: ['eventual'] },
        description: 'answer without waiting for the read models',
      }
    : {
        name,
        in: 'query',
        required: false,
        schema: { type: 'integer', minimum: 1 },
        description: "wait until the read models hold the log up to this position (a write's X-Position)",
      };
/**
 * The reads that wait for the read models (their handlers call consistentRead or
 * consistentSearch, api/deps.ts): they take READ_OPTIONS. test/unit/api/read-options.unit.test.ts
 * holds this list equal to the handlers that wait.
 */
export const FRESH_READS: ReadonlySet<string> = new Set([
  '/api/v2/devices',
  '/api/v2/inbox',
  '/api/v2/messages/{mid}',
  '/api/v2/segments',
  '/api/v2/segments/{id}/count',
  '/api/v2/threads',
  '/api/v2/threads/{tid}',
  '/api/v2/threads/{tid}/messages',
  '/api/v2/threads/{tid}/subscribers',
  '/api/v2/users/import/{id}',
  '/api/v2/users/{uid}/devices',
  '/api/v2/users/{uid}/export',
]);
export const takesReadOptions = (method: string, path: string): boolean => method === 'get' && FRESH_READS.has(path);

export const operation = (op: Op, method: string, path = ''): Json => ({
  summary: op.summary,
  'x-access': op.access,
  security: op.access === 'public' ? [] : [{ bearer: [] }],
  parameters: [
    ...(op.params ?? []).map((name) => ({ name, in: 'path', required: true, schema: str })),
    ...(op.query ?? []).map((name) => queryParameter(op, name)),
    ...(takesReadOptions(method, path)
      ? READ_OPTIONS.filter((n) => !(op.query ?? []).includes(n)).map(readOption)
      : []),
    ...(op.idempotent === true ? [{ name: 'Idempotency-Key', in: 'header', required: false, schema: str }] : []),
  ],
  ...(op.body !== undefined
    ? { requestBody: { required: true, content: { 'application/json': { schema: ref(op.body) } } } }
    : {}),
  responses: {
    [({ Created: '201', Accepted: '202', 'No Content': '204' } as Record<string, string>)[
      String(op.ok?.['description'])
    ] ?? '200']: op.ok ?? TRUE,
    ...(badRequest(op, path) !== undefined ? { 400: errorResponse(badRequest(op, path) ?? '') } : {}),
    ...(op.body !== undefined
      ? {
          413: errorResponse('Body over the limit'),
          415: errorResponse('UnsupportedMediaType: a Content-Type other than JSON, form-urlencoded or text/plain'),
        }
      : {}),
    ...(conflict(op) !== undefined ? { 409: errorResponse(conflict(op) ?? '') } : {}),
    ...(op.access !== 'public'
      ? {
          401: errorResponse('Missing, expired or forged token, a token without exp, or one issued in the future'),
          403: errorResponse('Not allowed'),
          404: errorResponse('Unknown, or hidden from the caller: the same answer either way'),
        }
      : {}),
    ...(op.access !== 'public'
      ? {
          429: errorResponse(RATE_LIMITED),
        }
      : {}),
    ...(op.idempotent === true
      ? {
          422: errorResponse(
            'Idempotency-Key reused with another body; or (enlist) a push endpoint outside the allowed push services',
          ),
        }
      : {}),
    ...(unavailable(op, method) !== undefined ? { 503: errorResponse(unavailable(op, method) ?? '') } : {}),
    ...Object.fromEntries(Object.entries(op.errors ?? {}).map(([status, why]) => [status, errorResponse(why)])),
  },
});
