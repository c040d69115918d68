import { randomUUID } from 'node:crypto';
import { errors, type ApiError } from './errors.js';
import type { HttpRequest } from './uws.js';

// Reading a request out of uWS. Its request object is only valid during the synchronous part
// of the handler, so everything the async part needs is copied out here, first; anything
// malformed becomes a refusal (a value), never an exception.
export interface Captured {
  readonly url: string;
  readonly query: URLSearchParams;
  readonly params: Record<string, string>;
  readonly authorization: string;
  readonly idempotencyKey: string;
  /** An Idempotency-Key header came, whatever uWS could read of its value (see api/http.ts). */
  readonly idempotencyKeySent: boolean;
  readonly contentType: string;
  readonly contentLength: string;
  /** The Origin header ('' without one), for CORS. */
  readonly origin: string;
  /** Every X-Forwarded-For line, in order, as one list (read only for a trusted proxy). */
  readonly forwardedFor: string;
  readonly requestId: string;
}

export interface Refused {
  readonly refused: ApiError;
  readonly requestId: string;
  /** The Origin header, for the CORS headers of the refusal ('' when there were several). */
  readonly origin: string;
  /** The rest of the connection cannot be trusted (its framing is ambiguous): nothing after it may run. */
  readonly close: boolean;
}

const decoded = (raw: string): string | undefined => {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
};

/** The headers of a request as the broker reads them: one walk of uWS's list (`req.forEach`). */
interface Heads {
  authorization: string;
  idempotencyKey: string;
  contentType: string;
  contentLength: string;
  transferEncoding: string;
  requestId: string;
  origin: string;
  forwardedFor: string;
  authorizations: number;
  idempotencyKeys: number;
  contentTypes: number;
  contentLengths: number;
  transferEncodings: number;
  requestIds: number;
  origins: number;
  hosts: number;
  forwardedFors: number;
}

// uWS's getHeader answers the first of two headers of one name, and '' both for a header that
// is absent and for one whose value it cannot read (a byte above 0x7f): nothing but a walk of
// the whole list tells that a header came twice. One walk per request reads every header the
// broker uses and counts them, in place of the getHeader look-ups it replaces (bench/header-reads.ts,
// docs/http-edges.md). The request is handled synchronously up to here, so one state object and
// one callback serve every request: no closure or object is allocated per request.
const heads: Heads = {
  authorization: '',
  idempotencyKey: '',
  contentType: '',
  contentLength: '',
  transferEncoding: '',
  requestId: '',
  origin: '',
  forwardedFor: '',
  authorizations: 0,
  idempotencyKeys: 0,
  contentTypes: 0,
  contentLengths: 0,
  transferEncodings: 0,
  requestIds: 0,
  origins: 0,
  hosts: 0,
  forwardedFors: 0,
};

const onHeader = (k: string, v: string): void => {
  switch (k) {
    case 'host':
      heads.hosts += 1;
      break;
    case 'authorization':
      heads.authorization = v;
      heads.authorizations += 1;
      break;
    case 'content-type':
      heads.contentType = v;
      heads.contentTypes += 1;
      break;
    case 'content-length':
      heads.contentLength = v;
      heads.contentLengths += 1;
      break;
    case 'idempotency-key':
      heads.idempotencyKey = v;
      heads.idempotencyKeys += 1;
      break;
    case 'x-request-id':
      heads.requestId = v;
      heads.requestIds += 1;
      break;
    case 'origin':
      heads.origin = v;
      heads.origins += 1;
      break;
    case 'transfer-encoding':
      heads.transferEncoding = v;
      heads.transferEncodings += 1;
      break;
    case 'x-forwarded-for':
      // A list: several lines are one list in their order (RFC 9110 5.3). A proxy that adds its
      // own line after the client's (HAProxy's `option forwardfor`) puts the real peer last.
      heads.forwardedFor = heads.forwardedFors === 0 ? v : `${heads.forwardedFor}, ${v}`;
      heads.forwardedFors += 1;
      break;
    default:
  }
};

const walk = (req: HttpRequest): Heads => {
  heads.authorization = '';
  heads.idempotencyKey = '';
  heads.contentType = '';
  heads.contentLength = '';
  heads.transferEncoding = '';
  heads.requestId = '';
  heads.origin = '';
  heads.forwardedFor = '';
  heads.authorizations = 0;
  heads.idempotencyKeys = 0;
  heads.contentTypes = 0;
  heads.contentLengths = 0;
  heads.transferEncodings = 0;
  heads.requestIds = 0;
  heads.origins = 0;
  heads.hosts = 0;
  heads.forwardedFors = 0;
  req.forEach(onHeader);
  return heads;
};

// Framing that a proxy in front of the broker could read differently from uWS (request
// smuggling): uWS takes the first of two Content-Length headers and passes the request on,
// and treats any Transfer-Encoding ending in chunked as chunked. See docs/http-edges.md.
const framingProblem = (h: Heads): string | undefined => {
  if (h.contentLengths === 0 && h.transferEncodings === 0) return undefined;
  if (h.contentLengths > 1) return 'more than one Content-Length header';
  if (h.transferEncodings > 1) return 'more than one Transfer-Encoding header';
  if (h.hosts > 1) return 'more than one Host header';
  if (h.transferEncodings > 0 && h.contentLengths > 0) return 'both Content-Length and Transfer-Encoding';
  if (h.transferEncoding.trim().toLowerCase() !== 'chunked' && h.transferEncodings > 0)
    return 'Transfer-Encoding: only chunked is supported';
  return undefined;
};

// Headers that mean one thing: the broker would act on the first, a proxy in front may act on
// the last (another user, another key, another media type). Refused on every request. Host as
// RFC 9112 3.2 requires. X-Request-Id is not among them: it decides nothing, so two of them
// are treated like a malformed one (the broker names the request with an id of its own).
const duplicated = (h: Heads): string | undefined => {
  if (h.authorizations > 1) return 'Authorization';
  if (h.idempotencyKeys > 1) return 'Idempotency-Key';
  if (h.contentTypes > 1) return 'Content-Type';
  if (h.origins > 1) return 'Origin';
  if (h.hosts > 1) return 'Host';
  return undefined;
};

export const capture = (req: HttpRequest, names: readonly string[]): Captured | Refused => {
  const h = walk(req);
  const rid = h.requestId;
  const requestId = h.requestIds === 1 && /^[\w.-]{1,64}$/.test(rid) ? rid : randomUUID();
  const origin = h.origins === 1 ? h.origin : '';
  const framing = framingProblem(h);
  if (framing !== undefined) return { refused: errors.badFraming(framing), requestId, origin, close: true };
  const twice = duplicated(h);
  if (twice !== undefined) return { refused: errors.duplicateHeader(twice), requestId, origin, close: false };
  const params: Record<string, string> = {};
  for (let i = 0; i < names.length; i += 1) {
    const name = names[i] ?? '';
    const value = decoded(req.getParameter(i));
    if (value === undefined)
      return { refused: errors.invalidPath(name, 'malformed percent-encoding'), requestId, origin, close: false };
    params[name] = value;
  }
  return {
    url: req.getUrl(),
    query: new URLSearchParams(req.getQuery()),
    params,
    authorization: h.authorization,
    idempotencyKey: h.idempotencyKey,
    idempotencyKeySent: h.idempotencyKeys > 0,
    contentType: h.contentType,
    contentLength: h.contentLength,
    origin,
    forwardedFor: h.forwardedFor,
    requestId,
  };
};

/**
 * Every line of each of `names` (lower case), in order: for the few requests that are not
 * served by `capture` (websocket upgrades, CORS preflights), where a walk of their own costs
 * nothing that matters.
 */
export const headerLines = (req: HttpRequest, names: readonly string[]): ReadonlyMap<string, readonly string[]> => {
  const out = new Map<string, string[]>(names.map((n) => [n, []]));
  req.forEach((k, v) => {
    out.get(k)?.push(v);
  });
  return out;
};

export const isRefused = (c: Captured | Refused): c is Refused => 'refused' in c;
