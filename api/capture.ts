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
  readonly contentType: string;
  readonly contentLength: string;
  readonly requestId: string;
}

export interface Refused {
  readonly refused: ApiError;
  readonly requestId: string;
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

// Framing that a proxy in front of the broker could read differently from uWS (request
// smuggling): uWS takes the first of two Content-Length headers and passes the request on,
// and treats any Transfer-Encoding ending in chunked as chunked. Headers are only walked when
// a body is declared, so a GET costs two header look-ups. See docs/http-edges.md.
const framingProblem = (req: HttpRequest, contentLength: string, transferEncoding: string): string | undefined => {
  if (contentLength === '' && transferEncoding === '') return undefined;
  let lengths = 0;
  let codings = 0;
  let hosts = 0;
  req.forEach((k) => {
    if (k === 'content-length') lengths += 1;
    else if (k === 'transfer-encoding') codings += 1;
    else if (k === 'host') hosts += 1;
  });
  if (lengths > 1) return 'more than one Content-Length header';
  if (codings > 1) return 'more than one Transfer-Encoding header';
  if (hosts > 1) return 'more than one Host header';
  if (transferEncoding !== '' && contentLength !== '') return 'both Content-Length and Transfer-Encoding';
  if (transferEncoding !== '' && transferEncoding.trim().toLowerCase() !== 'chunked')
    return 'Transfer-Encoding: only chunked is supported';
  return undefined;
};

export const capture = (req: HttpRequest, names: readonly string[]): Captured | Refused => {
  const rid = req.getHeader('x-request-id');
  const requestId = /^[\w.-]{1,64}$/.test(rid) ? rid : randomUUID();
  const contentLength = req.getHeader('content-length');
  const framing = framingProblem(req, contentLength, req.getHeader('transfer-encoding'));
  if (framing !== undefined) return { refused: errors.badFraming(framing), requestId, close: true };
  const params: Record<string, string> = {};
  for (let i = 0; i < names.length; i += 1) {
    const name = names[i] ?? '';
    const value = decoded(req.getParameter(i));
    if (value === undefined)
      return { refused: errors.invalidPath(name, 'malformed percent-encoding'), requestId, close: false };
    params[name] = value;
  }
  return {
    url: req.getUrl(),
    query: new URLSearchParams(req.getQuery()),
    params,
    authorization: req.getHeader('authorization'),
    idempotencyKey: req.getHeader('idempotency-key'),
    contentType: req.getHeader('content-type'),
    contentLength,
    requestId,
  };
};

export const isRefused = (c: Captured | Refused): c is Refused => 'refused' in c;
