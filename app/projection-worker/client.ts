import { Worker } from 'node:worker_threads';
import type { SqliteEventStore } from '../../adapters/eventstore/sqlite.js';
import type { ProjectionLog } from '../../projections/runner.js';
import { createWaiters } from '../../projections/runner-core.js';
import type { ProjectionRunner, ProjectionStatus, RebuildReport } from '../../ports/projections.js';
import type { FromWorker, ToWorker, WorkerOptions } from './protocol.js';

export interface ProjectionWorker {
  readonly runner: ProjectionRunner;
  close(): Promise<void>;
}

/**
 * Runs one embedded projection in a worker thread (./worker.ts) and presents it
 * as a ProjectionRunner here: `waitFor` follows the positions the worker reports after each
 * batch, and every commit of the log in this thread wakes the worker.
 */
export const startProjectionWorker = async (
  options: WorkerOptions & { readonly store: SqliteEventStore; readonly log: ProjectionLog },
): Promise<ProjectionWorker> => {
  const workerData: WorkerOptions = { kind: options.kind, eventsFile: options.eventsFile, file: options.file };
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData });
  const send = (m: ToWorker): void => {
    worker.postMessage(m);
  };
  let name: string = options.kind;
  let position = 0;
  const waiters = createWaiters();
  let progress: ((position: number, head: number) => void) | undefined;
  let rebuilt: ((report: RebuildReport) => void) | undefined;
  let stopped: (() => void) | undefined;
  const advance = (p: number): void => {
    position = Math.max(position, p);
    waiters.notify(position);
  };
  await new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') {
        name = m.name;
        advance(m.position);
        resolve();
      } else if (m.type === 'position') advance(m.position);
      else if (m.type === 'progress') {
        position = m.position;
        progress?.(m.position, m.head);
      } else if (m.type === 'rebuilt') {
        position = m.position;
        rebuilt?.({ replayed: m.replayed });
      } else if (m.type === 'log') options.log[m.level](m.obj, m.msg);
      else stopped?.();
    });
  });
  worker.on('error', (e) => {
    options.log.error({ err: e.message }, `projection worker ${name} failed`);
  });
  // Commits within a couple of milliseconds share one wake: the worker reads everything new
  // each time it wakes, and a postMessage per commit showed up in the ingest profile.
  let wakeScheduled = false;
  const unsubscribe = options.store.onCommit(() => {
    if (wakeScheduled) return;
    wakeScheduled = true;
    setTimeout(() => {
      wakeScheduled = false;
      send({ type: 'wake' });
    }, 2);
  });

  const runner: ProjectionRunner = {
    start: () => undefined, // the worker starts its runner itself
    status: (): readonly ProjectionStatus[] => [{ name, position }],
    waitFor: (target, timeoutMs) => waiters.wait(target, () => position, timeoutMs),
    rebuild: (onProgress) =>
      new Promise<RebuildReport>((resolve) => {
        progress = onProgress;
        rebuilt = (report) => {
          progress = undefined;
          resolve(report);
        };
        send({ type: 'rebuild' });
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        unsubscribe();
        stopped = resolve;
        send({ type: 'stop' });
      }),
  };
  return {
    runner,
    close: async () => {
      await worker.terminate();
    },
  };
};
