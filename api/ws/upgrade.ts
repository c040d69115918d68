import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { MessageId } from '../../schema/ids.js';
import { tokenFromHeader, type Verifier } from '../auth.js';
import { errors } from '../errors.js';
import { headerLines } from '../capture.js';
import type { us_socket_context_t } from '@trufflesuite/uws-js-unofficial';
import type { HttpRequest, HttpResponse } from '../uws.js';
import { freshBucket, type FloodLimits } from './flood.js';
import { uuidv7Ms } from './catch-up.js';
import { Session } from './session.js';
import type { RequestLimits } from '../request-limits.js';

// Authentication happens on the upgrade request, before any websocket exists: a missing,
// expired or forged token is an HTTP 401 with the same JSON error body as the HTTP API.
// Browsers cannot set headers on a websocket, so the token may also come as `?token=` or in
// the `xsajwt` cookie (msgxc's cookie name).
export interface UpgradeDeps {
  readonly verifier: Verifier;
  readonly limits: FloodLimits & { readonly maxSessionsPerUser: number };
  readonly ready: () => boolean;
  readonly sessionsOf: (uid: string) => number;
  readonly now: () => number;
  readonly refused: (reason: string) => void;
  readonly failed: (e: unknown) => void;
  /** The per-address budget of failed authentications, shared with the HTTP routes. */
  readonly requestLimits?: RequestLimits;
}

/** Every value of cookie `name` ('' for one whose percent-encoding is malformed). */
const cookieValues = (header: string, name: string): string[] => {
  const out: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        out.push(decodeURIComponent(part.slice(eq + 1).trim()));
      } catch {
        out.push('');
      }
    }
  }
  return out;
};

// Read from the upgrade request: the headers that must come once (a proxy in front could act
// on another one than the broker: another user, another origin), and the lists.
const UPGRADE_HEADERS = [
  'authorization',
  'origin',
  'host',
  'sec-websocket-key',
  'sec-websocket-extensions',
  'cookie',
  'x-forwarded-for',
] as const;
const ONCE: Record<string, string> = {
  authorization: 'Authorization',
  origin: 'Origin',
  host: 'Host',
  'sec-websocket-key': 'Sec-WebSocket-Key',
};

// The upgrade's parameters: each read once, so each must come once.
const UPGRADE_PARAMS: readonly string[] = ['token', 'since', 'compat'];

const originHost = (origin: string): string | undefined => {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
};

const nonEmpty = (s: string | null | undefined): string | undefined =>
  s === null || s === undefined || s === '' ? undefined : s;

// Called by uWS: a throw in the synchronous part is answered 500 here rather than unwinding
// into uWS (which would end the process); the async part has its own catch.
export const upgradeHandler =
  (deps: UpgradeDeps) =>
  (res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void => {
    const state = { aborted: false };
    try {
      upgrade(deps, res, req, context, state);
    } catch (e) {
      deps.failed(e);
      if (state.aborted) return;
      state.aborted = true;
      try {
        res.cork(() => {
          res
            .writeStatus('500 Internal Server Error')
            .writeHeader('Content-Type', 'application/json')
            .end(JSON.stringify({ code: 'InternalError', msg: 'upgrade failed' }), true);
        });
      } catch {
        try {
          res.close();
        } catch {
          /* gone */
        }
      }
    }
  };

const upgrade = (
  deps: UpgradeDeps,
  res: HttpResponse,
  req: HttpRequest,
  context: us_socket_context_t,
  state: { aborted: boolean },
): void => {
  // The request object dies with this synchronous call: copy what the async part needs.
  const query = new URLSearchParams(req.getQuery());
  const lines = headerLines(req, UPGRADE_HEADERS);
  const one = (name: string): string => lines.get(name)?.[0] ?? '';
  // A header that must come once, or a parameter, given twice: refused, whichever the broker would read.
  const twice =
    Object.keys(ONCE).find((n) => (lines.get(n)?.length ?? 0) > 1) ??
    UPGRADE_PARAMS.find((p) => query.getAll(p).length > 1);
  const key = one('sec-websocket-key');
  // We speak no subprotocol; echo the first one offered so browsers that offer one accept us.
  const protocol = req.getHeader('sec-websocket-protocol').split(',')[0]?.trim() ?? '';
  // Lists: several lines are one list in their order (RFC 9110 5.3); cookies are joined by `;`.
  const extensions = (lines.get('sec-websocket-extensions') ?? []).join(', ');
  const cookies = cookieValues((lines.get('cookie') ?? []).join('; '), 'xsajwt');
  const fromHeader = tokenFromHeader(one('authorization'));
  const fromQuery = nonEmpty(query.get('token'));
  // Two different tokens (a proxy adding a header to a client's `token=`): which identity was
  // meant is not ours to guess.
  const twoTokens = fromHeader !== undefined && fromQuery !== undefined && fromHeader !== fromQuery;
  const explicit = fromHeader ?? fromQuery;
  const token = explicit ?? (cookies.length > 0 ? nonEmpty(cookies[0]) : undefined);
  // A browser attaches cookies to a websocket opened by ANY site: a cookie-authenticated
  // upgrade must come from a page of the broker's own origin (cross-site websocket hijacking).
  const origin = one('origin');
  const foreignCookie =
    explicit === undefined && token !== undefined && origin !== '' && originHost(origin) !== one('host');
  const since = nonEmpty(query.get('since'));
  const limits = deps.requestLimits;
  const address = limits?.addresses.keyOf(res.getRemoteAddress(), () =>
    (lines.get('x-forwarded-for') ?? []).join(', '),
  );
  const compat = nonEmpty(query.get('compat'));
  res.onAborted(() => {
    state.aborted = true;
  });

  const refuse = (status: number, code: string, msg: string, reason: string, retryAfter = 1): void => {
    deps.refused(reason);
    if (status === 401 && address !== undefined) limits?.rates.addressFailed(address, performance.now());
    if (state.aborted) return;
    state.aborted = true;
    res.cork(() => {
      res.writeStatus(`${status} ${STATUS_CODES[status] ?? ''}`).writeHeader('Content-Type', 'application/json');
      if (status === 401) res.writeHeader('WWW-Authenticate', 'Bearer');
      if (status === 503 || status === 429) res.writeHeader('Retry-After', String(retryAfter));
      res.end(JSON.stringify({ code, msg }), true);
    });
  };

  const run = async (): Promise<void> => {
    if (twice !== undefined) {
      const e = UPGRADE_PARAMS.includes(twice)
        ? errors.invalidQuery(twice, `more than one \`${twice}\` parameter; send it once`)
        : errors.duplicateHeader(ONCE[twice] ?? twice);
      refuse(e.status, e.code, e.msg, 'duplicate_header');
      return;
    }
    if (twoTokens) {
      const e = errors.invalidQuery(
        'token',
        'a `token` parameter and an Authorization header with another token; send one of them',
      );
      refuse(e.status, e.code, e.msg, 'duplicate_header');
      return;
    }
    // Browsers send two cookies of one name when two were set (another path or domain): the
    // token is ambiguous, and the first is not necessarily the one the user meant.
    if (explicit === undefined && cookies.length > 1) {
      refuse(
        400,
        'DuplicateCookie',
        'xsajwt: more than one `xsajwt` cookie; clear the stale one or send the token as a header',
        'duplicate_header',
      );
      return;
    }
    if (!deps.ready()) {
      refuse(503, 'NotReady', 'the broker is starting or stopping', 'not_ready');
      return;
    }
    if (foreignCookie) {
      refuse(
        403,
        'Forbidden',
        "the xsajwt cookie is only accepted from the broker's own origin; send the token as a header or `token` parameter",
        'foreign_origin',
      );
      return;
    }
    const blocked = address === undefined ? undefined : limits?.rates.addressBlocked(address, performance.now());
    if (blocked !== undefined) {
      const e = errors.rateLimited(blocked);
      refuse(e.status, e.code, e.msg, 'rate_limited', blocked.retryAfterSec);
      return;
    }
    if (token === undefined) {
      refuse(
        401,
        'Unauthorized',
        'missing token: Authorization header, `token` query parameter or `xsajwt` cookie',
        'missing_token',
      );
      return;
    }
    if (compat !== undefined && compat !== 'webservice-notification') {
      refuse(400, 'InvalidQuery', 'compat: expected webservice-notification', 'bad_compat');
      return;
    }
    // Message ids are UUIDv7; anything else cannot be a point to resume from.
    if (since !== undefined && (!MessageId.is(since) || uuidv7Ms(since) === undefined)) {
      refuse(400, 'InvalidQuery', 'since: not a message id', 'bad_since');
      return;
    }
    const actor = await deps.verifier.verify(token);
    if ('error' in actor) {
      refuse(401, 'Unauthorized', actor.error, 'bad_token');
      return;
    }
    if (deps.sessionsOf(actor.uid) >= deps.limits.maxSessionsPerUser) {
      refuse(
        429,
        'TooManySessions',
        `at most ${deps.limits.maxSessionsPerUser} sessions per user on one node`,
        'too_many_sessions',
      );
      return;
    }
    const now = deps.now();
    const session = new Session(
      randomUUID(),
      actor.uid,
      actor.roles,
      actor.expiresAt,
      since,
      freshBucket(deps.limits, now),
      now,
      ...(compat !== undefined ? (['wsn'] as const) : []),
    );
    if (state.aborted) return;
    // From here on the response belongs to the websocket, whatever `open` does.
    state.aborted = true;
    res.cork(() => {
      res.upgrade({ s: session }, key, protocol, extensions, context);
    });
  };
  run().catch((e: unknown) => {
    deps.failed(e);
    try {
      refuse(500, 'InternalError', 'upgrade failed', 'internal');
    } catch (again) {
      deps.failed(again);
    }
  });
};
