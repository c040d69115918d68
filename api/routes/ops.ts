import type { AppDeps } from '../deps.js';
import { errors } from '../errors.js';
import type { Route } from '../route.js';

export const opsRoutes = (deps: AppDeps, openapi: () => unknown): Route[] => {
  const ping: Route['handler'] = () => Promise.resolve({ status: 200, body: true });
  return [
    {
      method: 'get',
      path: '/api/v2/ping',
      access: 'public',
      summary: 'Liveness for clients (msgxc seed)',
      handler: ping,
    },
    { method: 'get', path: '/api/v1/ping', access: 'public', summary: 'v1 ping', handler: ping },
    {
      method: 'get',
      path: '/healthz',
      access: 'public',
      summary: 'The process is alive',
      handler: () => Promise.resolve({ status: 200, body: { status: 'ok' } }),
    },
    {
      method: 'get',
      path: '/readyz',
      access: 'public',
      summary: 'Ready: the log is reachable and projections are running',
      handler: async () => {
        if (!deps.ready()) return errors.notReady('starting');
        const head = await deps.store.head();
        // A projection whose batch keeps failing carries `stalled` ({position, since, attempts}):
        // still ready (its reads answer, from where it stopped), and watched by
        // msgxc_projection_stalled_seconds. So do the delivery reactors on a node that runs them
        // (msgxc_delivery_stalled_seconds): a stalled triage plans nothing after its batch.
        const projections = [...deps.projections.status(), ...(deps.searchRunner?.status() ?? [])];
        const reactors = deps.reactors?.();
        return {
          status: 200,
          body: { status: 'ready', head, projections, ...(reactors === undefined ? {} : { reactors }) },
        };
      },
    },
    {
      method: 'get',
      path: '/metrics',
      access: 'public',
      summary: 'Prometheus metrics',
      handler: async () => ({
        status: 200,
        body: await deps.metrics.render(),
        contentType: 'text/plain; version=0.0.4',
      }),
    },
    {
      method: 'get',
      path: '/api/v2/openapi.json',
      access: 'public',
      summary: 'This API as an OpenAPI 3.1 document',
      handler: () => Promise.resolve({ status: 200, body: openapi() }),
    },
  ];
};
