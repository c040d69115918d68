import type * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import type { Actor } from '../schema/metadata.js';
import { describeErrors } from '../schema/errors.js';
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

export const ok = (body: unknown = true, headers?: Record<string, string>): RouteReply =>
  headers === undefined ? { status: 200, body } : { status: 200, body, headers };

export const decode = <A>(codec: t.Decoder<unknown, A>, input: unknown): E.Either<ApiError, A> =>
  E.mapLeft((es: t.Errors) => errors.invalidBody(describeErrors(es)))(codec.decode(input));

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
