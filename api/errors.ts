import type { DomainError, DomainErrorKind, FailedToAppend } from '../commands/types.js';
import type { Refusal } from './rate-limits.js';
import type { Overload } from './shedding.js';
import { escapeControls, type UnreadableEvent } from '../schema/unreadable-event.js';

// The one table from error kinds to HTTP status codes. Handlers never pick codes themselves.
const STATUS: Record<DomainErrorKind | 'unavailable', number> = {
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  invalid: 400,
  unprocessable: 422,
  unavailable: 503,
};

export interface ApiError {
  readonly status: number;
  readonly code: string;
  readonly msg: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export const apiError = (status: number, code: string, msg: string, headers?: Record<string, string>): ApiError =>
  headers === undefined ? { status, code, msg } : { status, code, msg, headers };

export const fromDomainError = (e: DomainError | FailedToAppend): ApiError =>
  e.kind === 'unavailable'
    ? apiError(503, e.code, e.msg, { 'Retry-After': '1' })
    : apiError(STATUS[e.kind], e.code, e.msg);

export const isApiError = (u: unknown): u is ApiError =>
  typeof u === 'object' && u !== null && 'status' in u && 'code' in u && 'msg' in u;

export const errors = {
  badJson: (detail: string) => apiError(400, 'MalformedJson', `request body is not valid JSON: ${detail}`),
  tooDeep: (limit: number) =>
    apiError(400, 'JsonTooDeep', `request body nests deeper than ${limit} levels (MSGXC_JSON_MAX_DEPTH)`),
  invalidPath: (param: string, msg: string) => apiError(400, 'InvalidPathParameter', `${param}: ${msg}`),
  // Ambiguous message framing (duplicate Content-Length, unknown Transfer-Encoding): refused, and the connection closed.
  badFraming: (msg: string) => apiError(400, 'BadRequestFraming', msg),
  // A header that means one thing came twice: a proxy in front could act on the other one.
  duplicateHeader: (name: string) =>
    apiError(400, 'DuplicateHeader', `${name}: more than one ${name} header; send it once`),
  invalidBody: (msgs: readonly string[]) => apiError(400, 'InvalidBody', msgs.join('; ')),
  invalidQuery: (field: string, msg: string) => apiError(400, 'InvalidQuery', `${field}: ${msg}`),
  tooLarge: (limit: number) => apiError(413, 'PayloadTooLarge', `request body exceeds ${limit} bytes`),
  unauthorized: (msg: string) => apiError(401, 'Unauthorized', msg, { 'WWW-Authenticate': 'Bearer' }),
  forbidden: (msg: string) => apiError(403, 'Forbidden', msg),
  notFound: (msg: string) => apiError(404, 'NotFound', msg),
  unsupportedMediaType: (expected = 'application/json') =>
    apiError(415, 'UnsupportedMediaType', `content-type must be ${expected}`),
  idempotencyMismatch: () =>
    apiError(
      422,
      'IdempotencyKeyReused',
      'Idempotency-Key was already used with a different request (method, path, query or body)',
    ),
  idempotencyInProgress: () =>
    apiError(409, 'IdempotencyKeyInProgress', 'a request with this Idempotency-Key is still being processed', {
      'Retry-After': '1',
    }),
  notReady: (msg: string) => apiError(503, 'NotReady', msg, { 'Retry-After': '1' }),
  // The limit is named, with its setting and figures, so an operator reading a client's log knows which to raise.
  rateLimited: (r: Refusal) =>
    apiError(
      429,
      'RateLimited',
      `rate limit ${r.limit} exceeded: ${r.rate.perSec} per second, burst ${r.rate.burst} (${r.setting}); retry after ${r.retryAfterSec} s`,
      { 'Retry-After': String(r.retryAfterSec) },
    ),
  overloaded: (o: Overload) =>
    apiError(
      503,
      'Overloaded',
      o.reason === 'queue'
        ? `the node has ${o.inFlight} writes in flight (MSGXC_SHED_QUEUE=${o.limit}); retry`
        : `the node's event loop runs ${Math.round(o.lagMs)} ms late (MSGXC_SHED_LAG_MS=${o.limit}); retry`,
      { 'Retry-After': '1' },
    ),
  // A route that reads the log met an event whose stored bytes were altered (schema/unreadable-event.ts):
  // named, rather than an anonymous internal error; rereading cannot help until the log is repaired.
  unreadableEvent: (e: UnreadableEvent) =>
    apiError(
      503,
      'UnreadableEvent',
      `the log's event at position ${String(e.position)} (stream ${JSON.stringify(escapeControls(e.stream))}) cannot be read: it was altered where it is stored (msgxc audit verify names it)`,
    ),
  internal: () => apiError(500, 'InternalError', 'internal error; the request id identifies it in the logs'),
};
