import { createHash, randomUUID } from 'node:crypto';
import type { Actor } from '../schema/metadata.js';
import { clip } from '../schema/json.js';
import type { Logger } from '../ports/log.js';
import type { Metrics } from './metrics.js';
import type { Idempotency } from './idempotency.js';
import { IDEMPOTENCY_KEY_FORM, isValidIdempotencyKey } from './idempotency.js';
import { queryNames } from './query-names.js';
import { errors, isApiError, type ApiError } from './errors.js';
import { isAdmin, isAuditor, isAnalyst, tokenFromHeader, type Verifier } from './auth.js';
import type { Refusal } from './rate-limits.js';
import { unknownKeysOn, type Route, type RouteReply, type RouteRequest } from './route.js';
import type { HttpRequest, HttpResponse, TemplatedApp } from './uws.js';
import { readBody } from './body.js';
import { parseBody } from './body-parse.js';
import { answerInternalFailure, writeReply, type Exchange } from './reply.js';
import { capture, isRefused, type Captured } from './capture.js';
import { thrownText } from './guard.js';
import type { RequestLimits } from './request-limits.js';
import { isOverload } from './shedding.js';
import { corsHeaders } from './cors.js';
import type { CorsSettings } from '../schema/config-compat.js';
import type { Trace } from '../ports/trace.js';
import { isUnreadableEvent } from '../schema/unreadable-event.js';

export interface HttpDeps {
  readonly verifier: Verifier;
  readonly idempotency: Idempotency;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly bodyLimit: number;
  readonly jsonMaxDepth: number;
  readonly newMessageId: () => string;
  readonly now: () => Date;
  /**
   * Called for every authenticated request before its handler (the node recognises the user).
   * Answers a promise only when there is work to wait for, so a known caller costs no await.
   */
  readonly onActor: (actor: Actor) => Promise<void> | undefined;
  /** Rate limits and load shedding (docs/limits.md); none when absent. */
  readonly limits?: RequestLimits;
  /** MSGXC_CORS_ORIGINS (api/cors.ts); without it answers carry no CORS header. */
  readonly cors?: CorsSettings;
  /** The latency trace (MSGXC_TRACE_LATENCY, app/trace.ts): marks each request's stages by its message id. */
  readonly trace?: Trace;
}

const uwsPattern = (path: string): string => path.replace(/\{(\w+)\}/g, ':$1');
const paramNames = (path: string): string[] => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');

/** Not an answer: the client closed the connection before its request ran (nginx's 499, for metrics and logs). */
const ABANDONED: ApiError = {
  status: 499,
  code: 'ClientClosedRequest',
  msg: 'the client closed the connection before the request ran',
};

/** A place in the load shedder's count, given back when the request is answered (or fails). */
interface Slot {
  release?: () => void;
}

const nextTurn = (): Promise<void> =>
  new Promise((resolve) => {
    setImmediate(resolve);
  });

const authorize = async (
  route: Route,
  c: Captured,
  deps: HttpDeps,
  address: string | undefined,
): Promise<Actor | ApiError> => {
  if (route.access === 'public') return { uid: 'anonymous', roles: [] };
  // An address whose failed authentications used up its budget is refused before its token
  // costs a verification; a request that fails authentication spends from that budget.
  const rates = address === undefined ? undefined : deps.limits?.rates;
  const blocked = rates?.addressBlocked(address ?? '', performance.now());
  if (blocked !== undefined) return limited(deps, blocked);
  const token = tokenFromHeader(c.authorization);
  if (token === undefined) {
    rates?.addressFailed(address ?? '', performance.now());
    return errors.unauthorized('missing Authorization header with a bearer token');
  }
  const verified = await deps.verifier.verify(token);
  if ('error' in verified) {
    rates?.addressFailed(address ?? '', performance.now());
    return errors.unauthorized(verified.error);
  }
  if (route.access === 'admin' && !isAdmin(verified)) return errors.forbidden('this route requires the admin role');
  if (route.access === 'auditor' && !isAuditor(verified))
    return errors.forbidden('this route requires the admin or auditor role');
  if (route.access === 'analyst' && !isAnalyst(verified))
    return errors.forbidden('this route requires the admin or analyst role');
  return verified;
};

const limited = (deps: Pick<HttpDeps, 'metrics'>, r: Refusal): ApiError => {
  deps.metrics.inc('msgxc_rate_limited_total', { limit: r.limit });
  return errors.rateLimited(r);
};

const NDJSON = /^(application\/(x-)?ndjson|application\/jsonl?|text\/plain)\b/i;

// Each mounted route's query check (api/query-names.ts), made once when it is mounted.
const queryChecks = new WeakMap<Route, (query: URLSearchParams) => ApiError | undefined>();

const handleRequest = async (
  route: Route,
  c: Captured,
  raw: Buffer | undefined,
  x: Exchange,
  deps: HttpDeps,
  address: string | undefined,
  keyUnreadable: boolean,
  started: number,
): Promise<RouteReply | ApiError> => {
  const actor = await authorize(route, c, deps, address);
  if (isApiError(actor)) return actor;
  if (route.access !== 'public' && deps.limits !== undefined) {
    const refused = deps.limits.rates.caller(actor, route.method === 'get' ? 'read' : 'write', performance.now());
    if (refused !== undefined) return limited(deps, refused);
  }
  const badQuery = queryChecks.get(route)?.(c.query);
  if (badQuery !== undefined) return badQuery;
  let body: unknown = undefined;
  if (route.body === true && route.raw === true) {
    if (c.contentType !== '' && !NDJSON.test(c.contentType))
      return errors.unsupportedMediaType('application/x-ndjson (or application/json, text/plain)');
    body = raw ?? Buffer.alloc(0);
  } else if (route.body === true) {
    const parsed = parseBody(c, raw, deps.jsonMaxDepth, route.form === true, unknownKeysOn(route.path) === 'refuse');
    if (isApiError(parsed)) return parsed;
    body = parsed.body;
  }
  const decoded = deps.trace === undefined ? 0 : performance.now();
  if (route.method !== 'get') {
    // Never commit what cannot be answered. uWS parses everything one read brought in one
    // go, and closes the connection when a pipelined request arrives while an answer is
    // pending (it does not queue them); one turn of the event loop lets that happen first.
    await nextTurn();
    if (x.aborted) return ABANDONED;
  }
  if (route.access !== 'public') {
    const recognising = deps.onActor(actor);
    if (recognising !== undefined) await recognising;
  }
  const base = {
    method: route.method,
    url: c.url,
    params: c.params,
    query: c.query,
    body,
    unknownKeys: unknownKeysOn(route.path),
    actor,
    requestId: c.requestId,
    now: deps.now(),
  };
  const key = c.idempotencyKey;
  const fresh = deps.newMessageId();
  if (deps.trace !== undefined) {
    x.traced = fresh;
    deps.trace.mark(fresh, 'received', started);
    deps.trace.mark(fresh, 'decoded', decoded);
    deps.trace.mark(fresh, 'handler');
  }
  if (route.idempotent !== true || (key === '' && !keyUnreadable)) {
    return route.handler({ ...base, newMessageId: fresh });
  }
  if (!isValidIdempotencyKey(key)) return errors.invalidQuery('Idempotency-Key', IDEMPOTENCY_KEY_FORM);
  // The whole request: uWS's getUrl() is the path alone, and a query can change what a
  // command does (`DELETE .../members/{uid}?role=`), so it is part of what a key stands for.
  // Without one the fingerprint is what it always was, so stored records still match.
  const query = c.query.toString();
  const fingerprint = createHash('sha256')
    .update(`${route.method} ${c.url}${query === '' ? '' : `?${query}`}\0`)
    .update(raw ?? Buffer.alloc(0))
    .digest('hex');
  return deps.idempotency.run({
    uid: actor.uid,
    key,
    fingerprint,
    freshMid: fresh,
    now: base.now.getTime(),
    execute: (mid) => route.handler({ ...base, idempotencyKey: key, newMessageId: mid } satisfies RouteRequest),
  });
};

/** A bug in a handler: logged with the request id, answered 500 (or the connection closed), the process lives on. */
const failed = (
  deps: Pick<HttpDeps, 'metrics' | 'log'>,
  res: HttpResponse,
  x: Exchange,
  route: string,
  e: unknown,
): void => {
  if (x.requestId === '') x.requestId = randomUUID();
  deps.log.error({ reqId: x.requestId, route, err: thrownText(e) }, 'unhandled error');
  deps.metrics.inc('msgxc_http_requests_total', { route, method: 'any', status: '500' });
  answerInternalFailure(res, x);
};

export const mountRoute = (app: TemplatedApp, route: Route, deps: HttpDeps): void => {
  const names = paramNames(route.path);
  const checkQuery = queryNames(route.path, route.method);
  if (checkQuery !== undefined) queryChecks.set(route, checkQuery);
  const serve = (res: HttpResponse, req: HttpRequest, x: Exchange, slot: Slot): void => {
    const started = performance.now();
    const c = capture(req, names);
    const cors = deps.cors === undefined || route.serverOnly === true ? {} : corsHeaders(deps.cors, c.origin);
    x.requestId = c.requestId;
    res.onAborted(() => {
      x.aborted = true;
    });
    const fail = (e: unknown): void => {
      slot.release?.();
      failed(deps, res, x, route.path, e);
    };
    const finish = (answer: RouteReply | ApiError, close = false): void => {
      slot.release?.();
      const lost = x.aborted;
      // Errors too: a page must be able to read why it was refused.
      const reply = { ...answer, headers: { ...answer.headers, ...cors } };
      const status = writeReply(res, x, reply, c.requestId, close);
      if (x.traced !== undefined) deps.trace?.mark(x.traced, 'replied');
      const seconds = (performance.now() - started) / 1000;
      deps.metrics.inc('msgxc_http_requests_total', {
        route: route.path,
        method: route.method,
        status: String(status),
      });
      deps.metrics.observe('msgxc_http_request_duration_seconds', seconds, { route: route.path, method: route.method });
      if (status === ABANDONED.status)
        deps.log.info(
          { reqId: c.requestId, route: route.path },
          'request abandoned before it ran: the client closed the connection',
        );
      else if (status >= 500) deps.log.error({ reqId: c.requestId, route: route.path, status }, 'request failed');
      else if (lost && route.method !== 'get' && status < 300)
        deps.log.warn(
          { reqId: c.requestId, route: route.path, status },
          'answer lost: the client closed the connection after the request was committed',
        );
      else
        deps.log.debug(
          { reqId: c.requestId, method: route.method, route: route.path, status, ms: Math.round(seconds * 1000) },
          'request',
        );
    };
    if (isRefused(c)) {
      // An unread body cannot be left on a kept-alive connection: refusing one closes it.
      if (!c.close) {
        finish(c.refused, route.body === true);
        return;
      }
      // Framing that cannot be trusted: whatever follows on the connection must not run. uWS
      // runs requests pipelined behind a synchronous answer (and then forgets its Connection:
      // close), but closes the connection when one arrives while an answer is pending.
      setImmediate(() => {
        try {
          finish(c.refused, true);
        } catch (e) {
          fail(e);
        }
      });
      return;
    }
    // uWS reads a header value holding a byte above 0x7f, or only white space, as empty: such
    // a key is there but unreadable, and taking it as absent would run a client's retry twice.
    // Refused (400) once the caller is known.
    const keyUnreadable = route.idempotent === true && c.idempotencyKey === '' && c.idempotencyKeySent;
    const limits = deps.limits;
    // Read while uWS's request object lives: the client's address, for the per-address limit.
    const address =
      route.access === 'public' || limits === undefined
        ? undefined
        : limits.addresses.keyOf(res.getRemoteAddress(), () => c.forwardedFor);
    if (route.method !== 'get' && limits !== undefined) {
      // Admitted before the body is read, so a node past its bound holds no more bodies either.
      const admitted = limits.shedder.admit();
      if (isOverload(admitted)) {
        deps.metrics.inc('msgxc_shed_total', { reason: admitted.reason });
        finish(errors.overloaded(admitted), route.body === true);
        return;
      }
      slot.release = () => {
        admitted.release();
      };
    }
    const run = (raw: Buffer | undefined): void => {
      handleRequest(route, c, raw, x, deps, address, keyUnreadable, started)
        .catch((e: unknown) => {
          deps.log.error({ reqId: c.requestId, route: route.path, err: thrownText(e) }, 'unhandled error');
          return isUnreadableEvent(e) ? errors.unreadableEvent(e) : errors.internal();
        })
        .then(finish)
        .catch(fail);
    };
    if (route.body !== true) {
      run(undefined);
      return;
    }
    const limit = route.bodyLimit ?? deps.bodyLimit;
    readBody(
      res,
      c.contentLength,
      limit,
      x,
      run,
      () => {
        finish(errors.tooLarge(limit), true);
      },
      fail,
    );
  };
  const handler = (res: HttpResponse, req: HttpRequest): void => {
    // HEAD runs the GET route (RFC 9110 9.3.2: a load balancer's HEAD /healthz), answered without content.
    const x: Exchange = { aborted: false, requestId: '', head: req.getMethod() === 'head' };
    const slot: Slot = {};
    try {
      serve(res, req, x, slot);
    } catch (e) {
      slot.release?.();
      failed(deps, res, x, route.path, e);
    }
  };
  const pattern = uwsPattern(route.path);
  if (route.method === 'get') {
    app.get(pattern, handler);
    app.head(pattern, handler);
  } else if (route.method === 'post') app.post(pattern, handler);
  else if (route.method === 'put') app.put(pattern, handler);
  else app.del(pattern, handler);
};

const METHODS = new Set(['get', 'post', 'put', 'delete', 'patch', 'head', 'options']);

/** Unknown paths get a JSON 404; a known path with another method gets a 405. */
export const mountFallback = (
  app: TemplatedApp,
  routes: readonly Route[],
  deps: Pick<HttpDeps, 'metrics' | 'log'>,
): void => {
  const matchers = routes.map((r) => ({
    method: r.method,
    re: new RegExp(`^${r.path.replace(/\{\w+\}/g, '[^/]+')}$`),
  }));
  const serve = (res: HttpResponse, req: HttpRequest, x: Exchange): void => {
    x.requestId = randomUUID();
    const url = req.getUrl();
    // Both come from the client: bounded in the answer, and the method a closed set in metrics.
    const method = req.getMethod();
    x.head = method === 'head';
    const [m, u] = [clip(method.toUpperCase(), 16), clip(url, 100)];
    const allowed = matchers.filter((m) => m.re.test(url)).map((m) => m.method.toUpperCase());
    const reply =
      allowed.length > 0
        ? {
            status: 405,
            code: 'MethodNotAllowed',
            msg: `${m} is not allowed on ${u}`,
            headers: { Allow: allowed.join(', ') },
          }
        : errors.notFound(`no route for ${m} ${u}`);
    deps.metrics.inc('msgxc_http_requests_total', {
      route: 'unmatched',
      method: METHODS.has(method) ? method : 'other',
      status: String(reply.status),
    });
    // The request body (if any) is not read; closing keeps a client from streaming into the void.
    writeReply(res, x, reply, x.requestId, method !== 'get' && method !== 'head');
  };
  app.any('/*', (res, req) => {
    const x: Exchange = { aborted: false, requestId: '' };
    try {
      serve(res, req, x);
    } catch (e) {
      failed(deps, res, x, 'unmatched', e);
    }
  });
};
