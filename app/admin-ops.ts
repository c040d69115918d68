import type { EventStore } from '../ports/eventstore.js';
import type { ReactorStatus } from '../delivery/runner.js';
import type { DeadLetter } from '../ports/follower.js';
import type { ReadModels } from '../ports/read-models.js';
import type { ProjectionRunner } from '../ports/projections.js';
import type { Logger } from '../ports/log.js';
import type { Metrics } from '../api/metrics.js';
import type { AdminOps, RebuildStart, RebuildStatus } from '../api/routes/admin.js';

// What the admin UI reads, the rebuild it can start, and the dead letters it lists. A rebuild
// builds every read model anew beside the live ones (blue/green, follower/); its progress is
// kept here so the page can draw it.

export const DEAD_LETTERS_METRIC = 'msgxc_follower_dead_letters_total';

/** Counts each quarantined event in `msgxc_follower_dead_letters_total{follower}`. */
export const countDeadLetters = (metrics: Metrics): ((dead: readonly DeadLetter[]) => void) => {
  metrics.help(
    DEAD_LETTERS_METRIC,
    'counter',
    'Undecodable events a log follower quarantined (GET /api/v2/admin/dead-letters)',
  );
  return (dead) => {
    for (const d of dead) metrics.inc(DEAD_LETTERS_METRIC, { follower: d.follower });
  };
};

/** Seconds since the longest-failing batch (a projection's, a reactor's) first failed; 0 when none is failing. */
export const stalledSeconds = (status: readonly ReactorStatus[], now: Date): number => {
  let oldest = now.getTime();
  for (const s of status) if (s.stalled !== undefined) oldest = Math.min(oldest, Date.parse(s.stalled.since));
  return Math.max(0, (now.getTime() - oldest) / 1000);
};

export const createAdminOps = (deps: {
  readonly store: EventStore;
  readonly runner: ProjectionRunner;
  readonly reads: ReadModels;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly now: () => Date;
  /** Delivery's followers (triage, dispatch), whose dead letters are kept with their checkpoints. */
  readonly delivery?: { deadLetters(): Promise<readonly DeadLetter[]> };
}): AdminOps => {
  const started = deps.now().getTime();
  let status: RebuildStatus = { running: false, position: 0, head: 0 };
  let checking = false;
  const run = (allowSkips: boolean): void => {
    const startedAt = deps.now().toISOString();
    status = { running: true, position: 0, head: 0, startedAt };
    deps.log.info({ allowSkips }, 'read-model rebuild started');
    deps.runner
      .rebuild(
        (position, head) => {
          status = { running: true, position, head, startedAt };
        },
        { allowSkips },
      )
      .then(
        ({ replayed }) => {
          status = { ...status, running: false, finishedAt: deps.now().toISOString(), replayed };
          deps.log.info({ position: status.position, replayed }, 'read-model rebuild finished');
        },
        (e: unknown) => {
          const error = e instanceof Error ? e.message : String(e);
          status = { ...status, running: false, failedAt: deps.now().toISOString(), error };
          deps.log.error({ err: error }, 'read-model rebuild failed; the live read models stay');
        },
      );
  };
  return {
    stats: async () => {
      const head = await deps.store.head();
      const projections = deps.runner.status();
      return {
        head,
        projections,
        projectionLag: head - Math.min(head, ...projections.map((p) => p.position)),
        users: await deps.reads.userCount(),
        httpRequests: deps.metrics.total('msgxc_http_requests_total'),
        deadLetters: deps.metrics.total(DEAD_LETTERS_METRIC),
        uptimeSeconds: (deps.now().getTime() - started) / 1000,
        rssBytes: process.memoryUsage.rss(),
        rebuild: status,
      };
    },
    rebuild: async ({ allowSkips }): Promise<RebuildStart> => {
      if (status.running || checking) return { kind: 'running' };
      checking = true;
      try {
        // A rebuild that would skip events says so first, unless told it may.
        const skips = allowSkips ? [] : await deps.runner.wouldSkip();
        if (skips.length > 0) return { kind: 'wouldSkip', skips };
        run(allowSkips);
        return { kind: 'started', status };
      } finally {
        checking = false;
      }
    },
    rebuildStatus: () => status,
    deadLetters: async () => [...(await deps.runner.deadLetters()), ...((await deps.delivery?.deadLetters()) ?? [])],
    projectionDeadLetters: () => deps.runner.deadLetters(),
  };
};
