import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppDeps } from '../deps.js';
import { apiError, errors } from '../errors.js';
import type { Route } from '../route.js';

// The admin UI (web/admin/) and the two endpoints it needs. The page itself is public (it
// holds no data); everything it shows comes from admin-only JSON routes.
export interface RebuildStatus {
  readonly running: boolean;
  readonly position: number;
  readonly head: number;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  /** Once finished: events the rebuild read back from the log, summed over every projection. */
  readonly replayed?: number;
}

export interface AdminOps {
  stats(): Promise<Record<string, unknown>>;
  /** Starts a rebuild of every read model unless one is running; false when one already is. */
  rebuild(): boolean;
  rebuildStatus(): RebuildStatus;
}

// web/ is not compiled: find it from here whether running from source or from dist/.
const webDir = (): string | undefined => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'web', 'admin', 'index.html'))) return join(dir, 'web', 'admin');
    dir = dirname(dir);
  }
  return undefined;
};

const file =
  (name: string, contentType: string): Route['handler'] =>
  () => {
    const dir = webDir();
    if (dir === undefined) return Promise.resolve(errors.notFound('admin UI files are not installed'));
    return Promise.resolve({
      status: 200,
      body: readFileSync(join(dir, name), 'utf8'),
      contentType,
      headers: { 'Cache-Control': 'no-cache' },
    });
  };

export const adminRoutes = (deps: AppDeps & { readonly admin?: AdminOps }): Route[] => [
  {
    method: 'get',
    path: '/admin',
    access: 'public',
    summary: 'The admin UI (its data needs an admin token)',
    handler: file('index.html', 'text/html; charset=utf-8'),
  },
  {
    method: 'get',
    path: '/admin/app.js',
    access: 'public',
    summary: 'The admin UI script',
    handler: file('app.js', 'text/javascript; charset=utf-8'),
  },
  {
    method: 'get',
    path: '/api/v2/admin/stats',
    access: 'admin',
    summary: 'Counters for the admin UI: log head, projections, HTTP, rebuild',
    handler: async () =>
      deps.admin === undefined
        ? errors.notFound('admin operations are not enabled')
        : { status: 200, body: await deps.admin.stats() },
  },
  {
    method: 'post',
    path: '/api/v2/admin/rebuild',
    access: 'admin',
    summary: 'Drop every read model and replay the log (progress in /api/v2/admin/stats)',
    handler: () => {
      if (deps.admin === undefined) return Promise.resolve(errors.notFound('admin operations are not enabled'));
      if (!deps.admin.rebuild())
        return Promise.resolve(apiError(409, 'RebuildRunning', 'a rebuild is already running'));
      return Promise.resolve({ status: 202, body: deps.admin.rebuildStatus() });
    },
  },
];
