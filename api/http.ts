import { createHash, randomUUID } from 'node:crypto';
import type { Actor } from '../schema/metadata.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import type { Idempotency } from './idempotency.js';
import { isValidIdempotencyKey } from './idempotency.js';
import { errors, isApiError, type ApiError } from './errors.js';
import { isAdmin, isAuditor, tokenFromHeader, type Verifier } from './auth.js';
import type { Route, RouteReply, RouteRequest } from './route.js';
import type { HttpRequest, HttpResponse, TemplatedApp } from './uws.js';
import { readBody } from './body.js';
import { writeReply } from './reply.js';

export interface HttpDeps {
  readonly verifier: Verifier;
  readonly idempotency: Idempotency;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly bodyLimit: number;
  readonly newMessageId: () => string;
  readonly now: () => Date;
  /** Called once per authenticated request (e.g. to remember the user); must be cheap. */
  readonly onActor: (actor: Actor) => Promise<void>;
}

const JSONISH = /^(application\/([\w.+-]+\+)?json|application\/x-www-form-urlencoded|text\/plain)\b/i;

const uwsPattern = (path: string): string => path.replace(/\{(\w+)\}/g, ':$1');
const paramNames = (path: string): string[] => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');

interface Captured {
  readonly url: string;
  readonly query: URLSearchParams;
  readonly params: Record<string, string>;
  readonly authorization: string;
  readonly idempotencyKey: string;
  readonly contentType: string;
  readonly contentLength: string;
  readonly requestId: string;
}

// uWS's request object is only valid during the synchronous part of the handler: copy out
// everything the async part needs before the first await.
const capture = (req: HttpRequest, names: readonly string[]): Captured => {
  const params: Record<string, string> = {};
  names.forEach((n, i) => { params[n] = decodeURIComponent(req.getParameter(i)); });
  const rid = req.getHeader('x-request-id');
  return {
    url: req.getUrl(),
    query: new URLSearchParams(req.getQuery()),
    params,
    authorization: req.getHeader('authorization'),
    idempotencyKey: req.getHeader('idempotency-key'),
    contentType: req.getHeader('content-type'),
    contentLength: req.getHeader('content-length'),
    requestId: /^[\w.-]{1,64}$/.test(rid) ? rid : randomUUID(),
  };
};

const authorize = async (route: Route, c: Captured, deps: HttpDeps): Promise<Actor | ApiError> => {
  if (route.access === 'public') return { uid: 'anonymous', roles: [] };
  const token = tokenFromHeader(c.authorization);
  if (token === undefined) return errors.unauthorized('missing Authorization header with a bearer token');
  const verified = await deps.verifier.verify(token);
  if ('error' in verified) return errors.unauthorized(verified.error);
  if (route.access === 'admin' && !isAdmin(verified)) return errors.forbidden('this route requires the admin role');
  if (route.access === 'auditor' && !isAuditor(verified)) return errors.forbidden('this route requires the admin or auditor role');
  return verified;
};

const handleRequest = async (route: Route, c: Captured, raw: Buffer | undefined, deps: HttpDeps): Promise<RouteReply | ApiError> => {
  const actor = await authorize(route, c, deps);
  if (isApiError(actor)) return actor;
  let body: unknown = undefined;
  if (route.body === true) {
    // JSON, or what `curl -d` sends by default (form-urlencoded) and text/plain: msgxc's
    // users have always posted JSON that way. Anything else is clearly not JSON.
    if (c.contentType !== '' && !JSONISH.test(c.contentType)) return errors.unsupportedMediaType();
    try { body = JSON.parse((raw ?? Buffer.alloc(0)).toString('utf8')); } catch (e) {
      return errors.badJson(e instanceof Error ? e.message : 'parse error');
    }
  }
  if (route.access !== 'public') await deps.onActor(actor);
  const base = { method: route.method, url: c.url, params: c.params, query: c.query, body, actor, requestId: c.requestId, now: deps.now() };
  const key = c.idempotencyKey;
  if (route.idempotent !== true || key === '') {
    return route.handler({ ...base, newMessageId: deps.newMessageId() });
  }
  if (!isValidIdempotencyKey(key)) return errors.invalidQuery('Idempotency-Key', 'expected 1..255 visible ASCII characters');
  const fingerprint = createHash('sha256').update(`${route.method} ${c.url}\0`).update(raw ?? Buffer.alloc(0)).digest('hex');
  return deps.idempotency.run({
    uid: actor.uid, key, fingerprint, freshMid: deps.newMessageId(), now: base.now.getTime(),
    execute: (mid) => route.handler({ ...base, idempotencyKey: key, newMessageId: mid } satisfies RouteRequest),
  });
};

export const mountRoute = (app: TemplatedApp, route: Route, deps: HttpDeps): void => {
  const names = paramNames(route.path);
  const handler = (res: HttpResponse, req: HttpRequest): void => {
    const started = performance.now();
    const c = capture(req, names);
    const state = { aborted: false };
    res.onAborted(() => { state.aborted = true; });
    const finish = (reply: RouteReply | ApiError, close = false): void => {
      const status = writeReply(res, state, reply, c.requestId, close);
      const seconds = (performance.now() - started) / 1000;
      deps.metrics.inc('msgxc_http_requests_total', { route: route.path, method: route.method, status: String(status) });
      deps.metrics.observe('msgxc_http_request_duration_seconds', seconds, { route: route.path, method: route.method });
      if (status >= 500) deps.log.error({ reqId: c.requestId, route: route.path, status }, 'request failed');
      else deps.log.debug({ reqId: c.requestId, method: route.method, route: route.path, status, ms: Math.round(seconds * 1000) }, 'request');
    };
    const run = (raw: Buffer | undefined): void => {
      handleRequest(route, c, raw, deps).then(finish, (e: unknown) => {
        deps.log.error({ reqId: c.requestId, route: route.path, err: e instanceof Error ? e.message : String(e) }, 'unhandled error');
        finish(errors.internal());
      });
    };
    if (route.body !== true) { run(undefined); return; }
    readBody(res, c.contentLength, deps.bodyLimit, state, run, () => { finish(errors.tooLarge(deps.bodyLimit), true); });
  };
  const pattern = uwsPattern(route.path);
  if (route.method === 'get') app.get(pattern, handler);
  else if (route.method === 'post') app.post(pattern, handler);
  else if (route.method === 'put') app.put(pattern, handler);
  else app.del(pattern, handler);
};

/** Unknown paths get a JSON 404; a known path with another method gets a 405. */
export const mountFallback = (app: TemplatedApp, routes: readonly Route[], metrics: Metrics): void => {
  const matchers = routes.map((r) => ({ method: r.method, re: new RegExp(`^${r.path.replace(/\{\w+\}/g, '[^/]+')}$`) }));
  app.any('/*', (res, req) => {
    const url = req.getUrl();
    const method = req.getMethod();
    const allowed = matchers.filter((m) => m.re.test(url)).map((m) => m.method.toUpperCase());
    const state = { aborted: false };
    const reply = allowed.length > 0
      ? { status: 405, code: 'MethodNotAllowed', msg: `${method.toUpperCase()} is not allowed on ${url}`, headers: { Allow: allowed.join(', ') } }
      : errors.notFound(`no route for ${method.toUpperCase()} ${url}`);
    metrics.inc('msgxc_http_requests_total', { route: 'unmatched', method, status: String(reply.status) });
    // The request body (if any) is not read; closing keeps a client from streaming into the void.
    writeReply(res, state, reply, randomUUID(), method !== 'get' && method !== 'head');
  });
};
