import { STATUS_CODES } from 'node:http';
import { isApiError, type ApiError } from './errors.js';
import type { RouteReply } from './route.js';
import type { HttpResponse } from './uws.js';

const statusLine = (code: number): string => `${code} ${STATUS_CODES[code] ?? 'Unknown'}`;

/** Writes a reply unless the client went away; returns the status for metrics. */
export const writeReply = (
  res: HttpResponse,
  state: { aborted: boolean },
  reply: RouteReply | ApiError,
  requestId: string,
  closeConnection = false,
): number => {
  const status = reply.status;
  if (state.aborted) return status;
  const body = isApiError(reply)
    ? JSON.stringify({ code: reply.code, msg: reply.msg })
    : reply.contentType !== undefined && typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  const contentType = !isApiError(reply) && reply.contentType !== undefined ? reply.contentType : 'application/json';
  res.cork(() => {
    res.writeStatus(statusLine(status));
    res.writeHeader('Content-Type', contentType);
    res.writeHeader('X-Request-Id', requestId);
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.writeHeader(k, v);
    res.end(body, closeConnection);
  });
  state.aborted = true;
  return status;
};
