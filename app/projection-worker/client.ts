import { Worker } from 'node:worker_threads';
import type { SqliteEventStore } from '../../adapters/eventstore/sqlite.js';
import { RebuildWouldSkip } from '../../follower/catch-up.js';
import type { FollowerLog } from '../../follower/follower.js';
import { createWaiters } from '../../follower/waiters.js';
import type { DeadLetter, Stalled } from '../../ports/follower.js';
import type { ProjectionRunner, ProjectionStatus, RebuildReport } from '../../ports/projections.js';
import type { FromWorker, ToWorker, WorkerOptions } from './protocol.js';
import { threadErrorText } from '../thread-error.js';

export interface ProjectionWorker {
  readonly runner: ProjectionRunner;
  close(): Promise<void>;
}

export interface ProjectionWorkerOptions extends Omit<WorkerOptions, 'commitSignal'> {
  readonly store: SqliteEventStore;
  readonly log: FollowerLog;
  /** Events the worker's follower quarantined. */
  readonly onDeadLetters?: (dead: readonly DeadLetter[]) => void;
  /** A generation went live in the worker: switch this thread's readers, then remove `previous`. */
  readonly onPromoted?: (file: string, previous: string) => void;
}

/**
 * Runs one embedded projection in a worker thread (./worker.ts) and presents it as a
 * ProjectionRunner here: `waitFor` follows the positions the worker reports after each batch.
 * The worker wakes on the log's commit counter (SqliteEventStore.commitSignal), bumped by the
 * thread that committed: with the writer thread, no message from this one per commit.
 */
export const startProjectionWorker = async (options: ProjectionWorkerOptions): Promise<ProjectionWorker> => {
  const workerData: WorkerOptions = {
    kind: options.kind,
    eventsFile: options.eventsFile,
    keysFile: options.keysFile,
    ...(options.sealedShare === undefined ? {} : { sealedShare: options.sealedShare }),
    file: options.file,
    commitSignal: options.store.commitSignal,
  };
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData });
  const send = (m: ToWorker): void => {
    worker.postMessage(m);
  };
  let name: string = options.kind;
  let position = 0;
  let stalled: Stalled | null = null;
  const waiters = createWaiters();
  let rebuild: { progress?: (p: number, h: number) => void; done: (r: RebuildReport | Error) => void } | undefined;
  const asked = new Map<number, (r: readonly DeadLetter[] | Error) => void>();
  let asks = 0;
  let stopped: (() => void) | undefined;
  const advance = (p: number): void => {
    position = Math.max(position, p);
    waiters.notify(position);
  };
  const onMessage = (m: FromWorker): void => {
    if (m.type === 'position') {
      advance(m.position);
      // Past where it was stuck: it moved, whatever the worker's next once-a-second report says.
      if (stalled !== null && m.position > stalled.position) stalled = null;
    } else if (m.type === 'stalled') stalled = m.stalled;
    else if (m.type === 'progress') rebuild?.progress?.(m.position, m.head);
    else if (m.type === 'rebuilt') {
      advance(m.position);
      rebuild?.done({ replayed: m.replayed });
    } else if (m.type === 'rebuildFailed')
      rebuild?.done(m.skips === undefined ? new Error(m.message) : new RebuildWouldSkip(m.skips));
    else if (m.type === 'promoted') options.onPromoted?.(m.file, m.previous);
    else if (m.type === 'quarantined') options.onDeadLetters?.(m.deadLetters);
    else if (m.type === 'answer') asked.get(m.id)?.(m.error === undefined ? m.deadLetters : new Error(m.error));
    else if (m.type === 'log') options.log[m.level](m.obj, m.msg);
    else if (m.type === 'stopped') stopped?.();
  };
  await new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (m: FromWorker) => {
      if (m.type !== 'ready') {
        onMessage(m);
        return;
      }
      name = m.name;
      advance(m.position);
      resolve();
    });
  });
  worker.on('error', (e) => {
    options.log.error({ err: threadErrorText(e) }, `projection worker ${name} failed`);
  });
  const ask = (what: 'deadLetters' | 'wouldSkip') =>
    new Promise<readonly DeadLetter[]>((resolve, reject) => {
      const id = ++asks;
      asked.set(id, (r) => {
        asked.delete(id);
        if (r instanceof Error) reject(r);
        else resolve(r);
      });
      send({ type: 'ask', id, what });
    });

  const runner: ProjectionRunner = {
    start: () => undefined, // the worker starts its follower itself
    status: (): readonly ProjectionStatus[] => [{ name, position, ...(stalled === null ? {} : { stalled }) }],
    waitFor: (target, timeoutMs) => waiters.wait(target, () => position, timeoutMs),
    rebuild: (onProgress, o) => {
      if (rebuild !== undefined) return Promise.reject(new Error(`a rebuild of ${name} is running`));
      return new Promise<RebuildReport>((resolve, reject) => {
        rebuild = {
          ...(onProgress === undefined ? {} : { progress: onProgress }),
          done: (r) => {
            rebuild = undefined;
            if (r instanceof Error) reject(r);
            else resolve(r);
          },
        };
        send({ type: 'rebuild', allowSkips: o?.allowSkips ?? false });
      });
    },
    deadLetters: () => ask('deadLetters'),
    wouldSkip: () => ask('wouldSkip'),
    stop: () =>
      new Promise<void>((resolve) => {
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
