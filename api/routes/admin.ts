import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
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

// The page's files (web/admin/) come from the folder the composition root names (app/paths.ts).
const file =
  (dir: string | undefined, name: string, contentType: string): Route['handler'] =>
  async () => {
    if (dir === undefined) return errors.notFound('admin UI files are not installed');
    try {
      const body = await readFile(join(dir, name), 'utf8');
      return { status: 200, body, contentType, headers: { 'Cache-Control': 'no-cache' } };
    } catch {
      return errors.notFound('admin UI files are not installed');
    }
  };

export const adminRoutes = (deps: AppDeps & { readonly admin?: AdminOps }): Route[] => [
  {
    method: 'get',
    path: '/admin',
    access: 'public',
    summary: 'The admin UI (its data needs an admin token)',
    handler: file(deps.adminUiDir, 'index.html', 'text/html; charset=utf-8'),
  },
  {
    method: 'get',
    path: '/admin/app.js',
    access: 'public',
    summary: 'The admin UI script',
    handler: file(deps.adminUiDir, 'app.js', 'text/javascript; charset=utf-8'),
  },
  {
    method: 'get',
    path: '/admin/manage.js',
    access: 'public',
    summary: "The admin UI's forms: system message, user look-up, thread members",
    handler: file(deps.adminUiDir, 'manage.js', 'text/javascript; charset=utf-8'),
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
