import type { CorsSettings } from '../schema/config-compat.js';
import { preflight } from './cors.js';
import type { Metrics } from './metrics.js';
import { answerInternalFailure, writeReply, type Exchange } from './reply.js';
import type { Route } from './route.js';
import type { TemplatedApp } from './uws.js';
import { randomUUID } from 'node:crypto';
import { headerLines } from './capture.js';
import { errors } from './errors.js';

const PREFLIGHT_HEADERS = ['origin', 'access-control-request-method'] as const;

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
        const lines = headerLines(req, PREFLIGHT_HEADERS);
        // Two of either: which origin or method is asked about is ambiguous (api/capture.ts).
        const twice = PREFLIGHT_HEADERS.find((n) => (lines.get(n)?.length ?? 0) > 1);
        const reply =
          twice !== undefined
            ? errors.duplicateHeader(twice === 'origin' ? 'Origin' : 'Access-Control-Request-Method')
            : preflight(
                cors,
                lines.get('origin')?.[0] ?? '',
                lines.get('access-control-request-method')?.[0] ?? '',
                methods,
              );
        metrics.inc('msgxc_http_requests_total', { route: path, method: 'options', status: String(reply.status) });
        writeReply(res, x, reply, x.requestId);
      } catch {
        answerInternalFailure(res, x);
      }
    });
  }
};
