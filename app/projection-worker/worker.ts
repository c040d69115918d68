// Entry point of a projection worker thread. The embedded projections (read models, search)
// are written here, off the thread that serves HTTP: on a 2-core machine they then use the
// core the request path leaves idle instead of delaying responses (see BENCHMARKS.md).
import { parentPort, workerData } from 'node:worker_threads';
import { catchUpSubscription } from '../../adapters/eventstore/catch-up.js';
import type { EventStore } from '../../ports/eventstore.js';
import { createSqliteEventStore } from '../../adapters/eventstore/sqlite.js';
import { openReadDb } from '../../projections/embedded.js';
import { createProjectionRunner } from '../../projections/runner.js';
import type { ProjectionLog } from '../../projections/runner.js';
import { createEmbeddedSearchIndex } from '../../adapters/search/embedded.js';
import { searchProjection } from '../../projections/search/open.js';
import type { ProjectionRunner } from '../../ports/projections.js';
import type { FromWorker, ToWorker, WorkerOptions } from './protocol.js';

const port = parentPort;
if (port === null) throw new Error('app/projection-worker/worker.ts must run as a worker thread');
const options = workerData as WorkerOptions;
const post = (m: FromWorker): void => {
  port.postMessage(m);
};

// The main thread owns the log's writer; this thread only reads the same file, and is woken
// by a message after each of the main thread's commits instead of by its own appends.
const log = createSqliteEventStore({ file: options.eventsFile });
const wakers = new Set<() => void>();
const store: EventStore = {
  ...log,
  subscribeAll: (after, handler, onError) =>
    catchUpSubscription(
      log,
      (wake) => {
        wakers.add(wake);
        return () => wakers.delete(wake);
      },
      after,
      async (events) => {
        await handler(events);
        const last = events[events.length - 1];
        if (last !== undefined) post({ type: 'position', position: last.position });
      },
      onError,
    ),
};
const projectionLog: ProjectionLog = {
  warn: (obj, msg) => {
    post({ type: 'log', level: 'warn', obj, msg });
  },
  // Errors do not survive postMessage's structured clone as Errors: send their text.
  error: (obj, msg) => {
    const err = (obj as { err?: unknown }).err;
    post({ type: 'log', level: 'error', obj: { err: err instanceof Error ? err.message : JSON.stringify(err) }, msg });
  },
};

const open = (): { runner: ProjectionRunner; close: () => Promise<void> } => {
  if (options.kind === 'search') {
    const search = searchProjection({
      index: createEmbeddedSearchIndex({ file: options.file }),
      store,
      log: projectionLog,
    });
    return { runner: search.runner, close: () => search.close() };
  }
  const db = openReadDb(options.file);
  const runner = createProjectionRunner({ store, db, log: projectionLog });
  return {
    runner,
    close: async () => {
      await runner.stop();
      db.close();
    },
  };
};

const { runner, close } = open();
port.on('message', (m: ToWorker) => {
  if (m.type === 'wake') for (const wake of wakers) wake();
  else if (m.type === 'rebuild') {
    void runner
      .rebuild((position, head) => {
        post({ type: 'progress', position, head });
      })
      .then(({ replayed }) => {
        post({ type: 'rebuilt', position: runner.status()[0]?.position ?? 0, replayed });
      });
  } else {
    void close().then(async () => {
      await log.close();
      post({ type: 'stopped' });
      port.close();
    });
  }
});

runner.start();
const status = runner.status()[0];
post({ type: 'ready', name: status?.name ?? options.kind, position: status?.position ?? 0 });
