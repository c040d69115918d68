import { STATUS_CODES } from 'node:http';
import { errors, isApiError, type ApiError } from './errors.js';
import type { RouteReply } from './route.js';
import type { HttpResponse } from './uws.js';

const statusLine = (code: number): string => `${code} ${STATUS_CODES[code] ?? 'Unknown'}`;

/** One request and its response, as the handler and its guard share them. */
export interface Exchange {
  /** The client went away, or the answer was written: the response must not be touched again. */
  aborted: boolean;
  requestId: string;
  /** The message id the latency trace follows this request by (only when tracing). */
  traced?: string;
  /**
   * The request was HEAD: the answer carries the status and headers, not the content (RFC 9110
   * 9.3.2), or a keep-alive client would read the content as the start of the next answer.
   */
  head?: boolean;
}

/** Writes a reply unless the client went away; returns the status for metrics. */
export const writeReply = (
  res: HttpResponse,
  state: { aborted: boolean; head?: boolean },
  reply: RouteReply | ApiError,
  requestId: string,
  closeConnection = false,
): number => {
  const status = reply.status;
  if (state.aborted) return status;
  const body = isApiError(reply)
    ? JSON.stringify({ code: reply.code, msg: reply.msg })
    : reply.contentType !== undefined && typeof reply.body === 'string'
      ? reply.body
      : JSON.stringify(reply.body);
  const contentType = !isApiError(reply) && reply.contentType !== undefined ? reply.contentType : 'application/json';
  res.cork(() => {
    res.writeStatus(statusLine(status));
    res.writeHeader('Content-Type', contentType);
    res.writeHeader('X-Request-Id', requestId);
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.writeHeader(k, v);
    // uWS 20.30's endWithoutBody with any argument (a length, even undefined) leaves the
    // response unfinished, which aborts the process (docs/http-edges.md): called bare, it
    // writes no Content-Length, which a client reading a HEAD answer does not need.
    if (state.head !== true) res.end(body, closeConnection);
    else if (closeConnection) res.end('', true);
    else res.endWithoutBody();
  });
  state.aborted = true;
  return status;
};

/**
 * The answer to a bug: a 500 if nothing was written yet (closing the connection, whose state
 * is unknown), else the connection is closed so the client at least knows. Never throws.
 */
export const answerInternalFailure = (res: HttpResponse, x: Exchange): void => {
  if (x.aborted) return;
  try {
    writeReply(res, x, errors.internal(), x.requestId, true);
  } catch {
    x.aborted = true;
    try {
      res.close();
    } catch {
      /* the connection is gone already */
    }
  }
};
