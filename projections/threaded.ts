import { Worker } from 'node:worker_threads';
import type { Clock } from '../adapters/clock/clock.js';
import type { SqliteEventStore } from '../adapters/eventstore/sqlite.js';
import { createEmbeddedReadModels, openReadDb } from './embedded.js';
import type { EmbeddedReadStore, ProjectionLog } from './embedded.js';
import type { ProjectionRunner, ProjectionStatus } from './types.js';
import type { FromWorker, ToWorker, WorkerOptions } from './worker-protocol.js';
import { RUNNER_NAME } from './runner.js';

interface Waiter { readonly position: number; readonly resolve: () => void }

/**
 * The embedded read store with its projection runner in a worker thread (projections/worker.ts).
 * Queries run here on a read connection of the same file; `waitFor` follows the positions the
 * worker reports after each batch. Only for the SQLite log: the worker must open the file.
 */
export const openThreadedReadStore = async (options: {
  readonly readFile: string; readonly eventsFile: string; readonly store: SqliteEventStore; readonly log: ProjectionLog; readonly clock?: Clock;
}): Promise<Omit<EmbeddedReadStore, 'runner'> & { readonly runner: ProjectionRunner }> => {
  const workerData: WorkerOptions = { eventsFile: options.eventsFile, readFile: options.readFile };
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData });
  const send = (m: ToWorker): void => { worker.postMessage(m); };
  let position = 0;
  const waiters = new Set<Waiter>();
  let progress: ((position: number, head: number) => void) | undefined;
  let rebuilt: (() => void) | undefined;
  let stopped: (() => void) | undefined;
  const advance = (p: number): void => {
    position = Math.max(position, p);
    for (const w of waiters) if (w.position <= position) { waiters.delete(w); w.resolve(); }
  };
  const ready = new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') { advance(m.position); resolve(); }
      else if (m.type === 'position') advance(m.position);
      else if (m.type === 'progress') { position = m.position; progress?.(m.position, m.head); }
      else if (m.type === 'rebuilt') { position = m.position; rebuilt?.(); }
      else if (m.type === 'log') options.log[m.level](m.obj, m.msg);
      else stopped?.();
    });
  });
  await ready;
  worker.on('error', (e) => { options.log.error({ err: e.message }, 'projection worker failed'); });
  const unsubscribe = options.store.onCommit(() => { send({ type: 'wake' }); });
  // The worker created the schema before saying ready; this connection only reads.
  const db = openReadDb(options.readFile);

  const runner: ProjectionRunner = {
    start: () => undefined, // the worker starts its runner itself
    status: (): readonly ProjectionStatus[] => [{ name: RUNNER_NAME, position }],
    waitFor: (target, timeoutMs = 5000) => {
      if (target <= position) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`read models at position ${position} did not reach ${target} within ${timeoutMs} ms`));
        }, timeoutMs);
        const w: Waiter = { position: target, resolve: () => { clearTimeout(timer); resolve(); } };
        waiters.add(w);
      });
    },
    rebuild: (onProgress) => new Promise<void>((resolve) => {
      progress = onProgress;
      rebuilt = () => { progress = undefined; resolve(); };
      send({ type: 'rebuild' });
    }),
    stop: () => new Promise<void>((resolve) => {
      unsubscribe();
      stopped = resolve;
      send({ type: 'stop' });
    }),
  };
  return {
    /** This thread's connection to the read models: for queries only, never for writes. */
    db,
    models: createEmbeddedReadModels(db, options.clock),
    runner,
    close: async () => { db.close(); await worker.terminate(); },
  };
};
