import type * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import type { Actor } from '../schema/metadata.js';
import { describeErrors } from '../schema/errors.js';
import { unknownKeys } from '../schema/unknown-keys.js';
import { errors, type ApiError } from './errors.js';
import { isValidCursor } from '../projections/paging.js';

// What a route handler sees and returns. Handlers are thin: decode, build the command,
// call it, map the result. Transport (uWS), auth, idempotency and metrics live in api/http.ts.
export type Access = 'public' | 'user' | 'admin' | 'auditor' | 'analyst';
export type Method = 'get' | 'post' | 'put' | 'delete';

export interface RouteRequest {
  readonly method: Method;
  readonly url: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: unknown;
  /** What `decode` does with a body key its codec does not know (`bodyKeysOf`). */
  readonly unknownKeys: UnknownKeys;
  readonly actor: Actor;
  readonly requestId: string;
  readonly idempotencyKey?: string;
  /** A fresh message id, or the one reserved by an earlier try with the same Idempotency-Key. */
  readonly newMessageId: string;
  readonly now: Date;
}

export interface RouteReply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Set for non-JSON bodies (metrics text, HTML); the body must then be a string. */
  readonly contentType?: string;
}

export interface Route {
  readonly method: Method;
  /** OpenAPI-style path, e.g. `/api/v2/threads/{tid}`; also the metrics label. */
  readonly path: string;
  readonly access: Access;
  readonly body?: boolean;
  /** The body's bytes (a Buffer), not parsed or decoded (NDJSON imports: checked line by line); JSON, NDJSON or plain text content types only. */
  readonly raw?: boolean;
  /** A larger body limit than MSGXC_BODY_LIMIT for this route only (the import's documented cap). */
  readonly bodyLimit?: number;
  /** Honours the Idempotency-Key header (commands). */
  readonly idempotent?: boolean;
  readonly summary: string;
  /** Also takes an application/x-www-form-urlencoded body, as an object of its fields (seed 003's servers posted forms). */
  readonly form?: boolean;
  /** For servers only: no CORS grant on its answers and no preflight, so no browser page can call it. */
  readonly serverOnly?: boolean;
  readonly handler: (req: RouteRequest) => Promise<RouteReply | ApiError>;
}

/**
 * /api/v2 refuses what it does not know: a body key (`urgncy: unknown field`), as it refuses an
 * unknown query parameter (api/query-names.ts), so a typo is a 400 rather than a message sent at
 * the default. The compatibility surfaces (/api/v1, onadata's, /notify) ignore such keys, as the
 * systems they replace did (Django REST framework drops unknown fields; their clients send them).
 */
export type UnknownKeys = 'refuse' | 'ignore';
export const unknownKeysOn = (path: string): UnknownKeys => (path.startsWith('/api/v2/') ? 'refuse' : 'ignore');

export const ok = (body: unknown = true, headers?: Record<string, string>): RouteReply =>
  headers === undefined ? { status: 200, body } : { status: 200, body, headers };

/**
 * A request's body by its codec: a 400 naming each field of the wrong type, and on /api/v2 each
 * key the codec does not know (free-form objects such as `opts` and `attributes` take any key:
 * schema/unknown-keys.ts). An unknown key is named first: `{"uid":"u1","mesage":"x"}` is told
 * about `mesage` before the missing `msg`.
 */
export const decode = <A>(
  codec: t.Decoder<unknown, A>,
  req: Pick<RouteRequest, 'body' | 'unknownKeys'>,
): E.Either<ApiError, A> => {
  const decoded = codec.decode(req.body);
  const unknown = req.unknownKeys === 'refuse' ? unknownKeys(codec, req.body) : [];
  if (unknown.length === 0) return E.mapLeft((es: t.Errors) => errors.invalidBody(describeErrors(es)))(decoded);
  return E.left(errors.invalidBody(E.isLeft(decoded) ? [...unknown, ...describeErrors(decoded.left)] : unknown));
};

/** Page size from `?limit=`: default 50, 1..200, anything else a 400 naming the field. */
export const limitParam = (q: URLSearchParams, fallback = 50, max = 200): E.Either<ApiError, number> => {
  const raw = q.get('limit');
  if (raw === null || raw === '') return E.right(fallback);
  // Digits only: Number() reads "0x10" as 16 and "1e2" as 100, a page size nobody typed.
  const n = /^\d{1,6}$/.test(raw) ? Number(raw) : Number.NaN;
  return Number.isInteger(n) && n >= 1 && n <= max
    ? E.right(n)
    : E.left(errors.invalidQuery('limit', `expected an integer 1..${max}`));
};

/** `?before=` paging cursor: absent, or one the read side handed out (else a 400). */
export const beforeParam = (q: URLSearchParams): E.Either<ApiError, { before?: string }> => {
  const raw = q.get('before');
  if (raw === null || raw === '') return E.right({});
  return isValidCursor(raw)
    ? E.right({ before: raw })
    : E.left(errors.invalidQuery('before', 'not a cursor returned as `next` by this API'));
};
