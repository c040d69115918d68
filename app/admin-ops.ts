import type { EventStore } from '../ports/eventstore.js';
import type { ReadModels } from '../ports/read-models.js';
import type { ProjectionRunner } from '../ports/projections.js';
import type { Logger } from '../ports/log.js';
import type { Metrics } from '../api/metrics.js';
import type { AdminOps, RebuildStatus } from '../api/routes/admin.js';

// What the admin UI reads, and the rebuild it can start. A rebuild replays the whole log into
// fresh read models; its progress is kept here so the page can draw it.
export const createAdminOps = (deps: {
  readonly store: EventStore;
  readonly runner: ProjectionRunner;
  readonly reads: ReadModels;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly now: () => Date;
}): AdminOps => {
  const started = deps.now().getTime();
  let status: RebuildStatus = { running: false, position: 0, head: 0 };
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
        uptimeSeconds: (deps.now().getTime() - started) / 1000,
        rssBytes: process.memoryUsage.rss(),
        rebuild: status,
      };
    },
    rebuild: () => {
      if (status.running) return false;
      status = { running: true, position: 0, head: 0, startedAt: deps.now().toISOString() };
      deps.log.info('read-model rebuild started');
      const startedAt = status.startedAt ?? '';
      deps.runner
        .rebuild((position, head) => {
          status = { running: true, position, head, startedAt };
        })
        .then(
          ({ replayed }) => {
            status = { ...status, running: false, finishedAt: deps.now().toISOString(), replayed };
            deps.log.info({ position: status.position, replayed }, 'read-model rebuild finished');
          },
          (e: unknown) => {
            status = { ...status, running: false };
            deps.log.error({ err: e instanceof Error ? e.message : String(e) }, 'read-model rebuild failed');
          },
        );
      return true;
    },
    rebuildStatus: () => status,
  };
};
