import type { CorsSettings } from '../schema/config-compat.js';
import { preflight } from './cors.js';
import type { Metrics } from './metrics.js';
import { answerInternalFailure, writeReply, type Exchange } from './reply.js';
import type { Route } from './route.js';
import type { TemplatedApp } from './uws.js';
import { randomUUID } from 'node:crypto';

// `OPTIONS` on every path a route serves, answered from the methods mounted there (api/cors.ts).
// Mounted only when MSGXC_CORS_ORIGINS is set; before the fallback, which answers the rest.
export const mountPreflight = (
  app: TemplatedApp,
  routes: readonly Route[],
  cors: CorsSettings,
  metrics: Metrics,
): void => {
  const byPath = new Map<string, string[]>();
  for (const r of routes) if (r.serverOnly !== true) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r.method]);
  for (const [path, methods] of byPath) {
    app.options(path.replace(/\{(\w+)\}/g, ':$1'), (res, req) => {
      const x: Exchange = { aborted: false, requestId: randomUUID() };
      res.onAborted(() => {
        x.aborted = true;
      });
      try {
        const reply = preflight(cors, req.getHeader('origin'), req.getHeader('access-control-request-method'), methods);
        metrics.inc('msgxc_http_requests_total', { route: path, method: 'options', status: String(reply.status) });
        writeReply(res, x, reply, x.requestId);
      } catch {
        answerInternalFailure(res, x);
      }
    });
  }
};
