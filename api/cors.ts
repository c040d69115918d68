import type { CorsSettings } from '../schema/config-compat.js';
import { apiError, type ApiError } from './errors.js';
import type { RouteReply } from './route.js';

// CORS for browser apps on other origins (MSGXC_CORS_ORIGINS). Two shapes, never mixed:
// `*` lets any origin read answers but never with credentials (the Fetch standard refuses
// `Access-Control-Allow-Origin: *` beside credentials, and we never send them together);
// a list echoes only an exact listed origin and allows credentials, with `Vary: Origin` on
// every answer so a shared cache never hands one origin's answer to another. The bearer token
// is a header the page sets itself, so it works under either shape; credentials matter for
// cookies. Unset: no CORS header at all, and preflights are not answered (405 as before).
const ALLOW_HEADERS = 'Authorization, Content-Type, Idempotency-Key, X-Request-Id';
const EXPOSE_HEADERS = 'X-Request-Id, X-Position, Retry-After, Location';
const MAX_AGE = '600';

const allowedOrigin = (s: CorsSettings, origin: string): boolean =>
  s.kind === 'list' && origin !== '' && s.origins.includes(origin.toLowerCase());

/** Headers every answer carries for a request from `origin` ('' when the request named none). */
export const corsHeaders = (s: CorsSettings, origin: string): Record<string, string> => {
  if (s.kind === 'none') return {};
  if (s.kind === 'any')
    return origin === '' ? {} : { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': EXPOSE_HEADERS };
  if (!allowedOrigin(s, origin)) return { Vary: 'Origin' };
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Credentials': 'true',
    'Access-Control-Expose-Headers': EXPOSE_HEADERS,
    Vary: 'Origin',
  };
};

/** The answer to `OPTIONS path`: 204 for an allowed origin and method, else a 403/405 naming why. */
export const preflight = (
  s: CorsSettings,
  origin: string,
  requestMethod: string,
  methods: readonly string[],
): RouteReply | ApiError => {
  const vary = s.kind === 'list' ? { Vary: 'Origin' } : {};
  if (origin === '' || (s.kind !== 'any' && !allowedOrigin(s, origin)))
    return apiError(403, 'CorsOriginNotAllowed', 'this origin is not in MSGXC_CORS_ORIGINS', vary);
  const allow = methods.map((m) => m.toUpperCase());
  if (requestMethod !== '' && !allow.includes(requestMethod.toUpperCase()))
    return apiError(405, 'MethodNotAllowed', `${requestMethod.slice(0, 16)} is not allowed on this path`, {
      ...vary,
      Allow: allow.join(', '),
    });
  return {
    status: 204,
    body: '',
    contentType: 'text/plain',
    headers: {
      ...corsHeaders(s, origin),
      'Access-Control-Allow-Methods': allow.join(', '),
      'Access-Control-Allow-Headers': ALLOW_HEADERS,
      'Access-Control-Max-Age': MAX_AGE,
    },
  };
};
