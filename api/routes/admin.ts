import * as E from 'fp-ts/lib/Either.js';
import type { DeadLetter } from '../../ports/follower.js';
import type { AppDeps } from '../deps.js';
import { apiError, errors } from '../errors.js';
import type { ApiError } from '../errors.js';
import { limitParam } from '../route.js';
import { staticFile } from '../static-file.js';
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
  /** Once failed: when, and why (the live read models stayed as they were). */
  readonly failedAt?: string;
  readonly error?: string;
}

export type RebuildStart =
  | { readonly kind: 'started'; readonly status: RebuildStatus }
  | { readonly kind: 'running' }
  /** It would skip undecodable events, and was not told it may. */
  | { readonly kind: 'wouldSkip'; readonly skips: readonly DeadLetter[] };

export interface AdminOps {
  stats(): Promise<Record<string, unknown>>;
  /** Starts a rebuild of every read model unless one is running or it would skip events it was not allowed to. */
  rebuild(options: { readonly allowSkips: boolean }): Promise<RebuildStart>;
  rebuildStatus(): RebuildStatus;
  /** Events the live projections and delivery's followers quarantined, per follower in position order. */
  deadLetters(): Promise<readonly DeadLetter[]>;
  /** Of those, the read models' and search's: what a rebuild tries again. */
  projectionDeadLetters(): Promise<readonly DeadLetter[]>;
}

const flag = (q: URLSearchParams, name: string): E.Either<ApiError, boolean> => {
  const raw = q.get(name);
  if (raw === null || raw === '' || raw === 'false') return E.right(false);
  return raw === 'true' ? E.right(true) : E.left(errors.invalidQuery(name, 'expected true or false'));
};

/** Names how many events a rebuild would skip and which (the first ten positions). */
const wouldSkip = (skips: readonly DeadLetter[]): ApiError => {
  const positions = [...new Set(skips.map((d) => d.position))].sort((a, b) => a - b);
  const followers = [...new Set(skips.map((d) => d.follower))].sort();
  const shown = positions.slice(0, 10).join(', ') + (positions.length > 10 ? ', ...' : '');
  return apiError(
    409,
    'RebuildWouldSkip',
    `a rebuild would skip ${positions.length} undecodable event(s) at position(s) ${shown} ` +
      `(quarantined by ${followers.join(', ')}; GET /api/v2/admin/dead-letters lists them); ` +
      'retry with ?allowSkips=true to rebuild without them',
  );
};

// The page's files (web/admin/) come from the folder the composition root names (app/paths.ts).
const file = (dir: string | undefined, name: string, contentType: string): Route['handler'] =>
  staticFile(dir, name, contentType, 'admin UI files are not installed');

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
    summary: 'Build every read model anew beside the live ones and swap (progress in /api/v2/admin/stats)',
    handler: async (req) => {
      if (deps.admin === undefined) return errors.notFound('admin operations are not enabled');
      // `?allowSkips=true&allowSkips=false` took the first; a typo (`?allowSkip=true`) rebuilt without it.
      const allowSkips = flag(req.query, 'allowSkips');
      if (E.isLeft(allowSkips)) return allowSkips.left;
      const started = await deps.admin.rebuild({ allowSkips: allowSkips.right });
      if (started.kind === 'running') return apiError(409, 'RebuildRunning', 'a rebuild is already running');
      if (started.kind === 'wouldSkip') return wouldSkip(started.skips);
      return { status: 202, body: started.status };
    },
  },
  {
    method: 'post',
    path: '/api/v2/admin/dead-letters/retry',
    access: 'admin',
    summary: 'Try every dead letter again, in log order, in a rebuild beside the live read models',
    handler: async () => {
      if (deps.admin === undefined) return errors.notFound('admin operations are not enabled');
      // Applying a quarantined event late, out of log order, could undo what later events did:
      // a retry is a blue/green rebuild, in which every event is applied in order. The ones that
      // still fail are dead letters of the new generation; the live one serves until the swap.
      // Delivery's dead letters are not retried: a rebuild does not replay delivery (it would send again).
      const retrying = (await deps.admin.projectionDeadLetters()).length;
      const started = await deps.admin.rebuild({ allowSkips: true });
      if (started.kind === 'running') return apiError(409, 'RebuildRunning', 'a rebuild is already running');
      if (started.kind === 'wouldSkip') return wouldSkip(started.skips);
      return { status: 202, body: { retrying, rebuild: started.status } };
    },
  },
  {
    method: 'get',
    path: '/api/v2/admin/dead-letters',
    access: 'auditor',
    summary:
      'Events the projections or delivery (triage, dispatch) could not decode or handle and quarantined (admin, auditor)',
    handler: async (req) => {
      if (deps.admin === undefined) return errors.notFound('admin operations are not enabled');
      // As on the audit routes: `?folower=search` must not list every follower's letters as if filtered.
      const limit = limitParam(req.query, 100, 1000);
      if (E.isLeft(limit)) return limit.left;
      const follower = req.query.get('follower');
      const all = (await deps.admin.deadLetters()).filter((d) => follower === null || d.follower === follower);
      const sorted = [...all].sort((a, b) => a.position - b.position || a.follower.localeCompare(b.follower));
      return { status: 200, body: { count: sorted.length, deadLetters: sorted.slice(0, limit.right) } };
    },
  },
];
