// Entry point of a projection worker thread. The embedded projections (read models, search)
// are written here, off the thread that serves HTTP: on a 2-core machine they then use the
// core the request path leaves idle instead of delaying responses (see BENCHMARKS.md).
import { parentPort, workerData } from 'node:worker_threads';
import { createEmbeddedSearchIndex } from '../../adapters/search/embedded.js';
import { RebuildWouldSkip } from '../../follower/catch-up.js';
import type { FollowerLog } from '../../follower/follower.js';
import type { Projection } from '../../follower/projection.js';
import type { DeadLetter } from '../../ports/follower.js';
import { searchProjection } from '../../projections/search/open.js';
import { openEmbeddedReadStore } from '../read-stores.js';
import { nameThread } from '../thread-name.js';
import { lowerThreadPriority } from '../thread-priority.js';
import { openWorkerLog } from '../worker-log.js';
import type { FromWorker, ToWorker, WorkerOptions } from './protocol.js';
import { starting } from '../thread-error.js';

/** The search worker's nice value (0 normal, 19 lowest): what the fan-out leaves idle, first. */
const SEARCH_NICE = 10;

const port = parentPort;
if (port === null) throw new Error('app/projection-worker/worker.ts must run as a worker thread');
const options = workerData as WorkerOptions;
nameThread(`msgxc-${options.kind}`);
// The search index may lag a few milliseconds behind a commit; the fan-out and the HTTP path
// should not (issue 15, realtime latency: on 2 cores this worker, woken by the same commit as
// the live follower and busiest after each message's triage, ran beside the fan-out). The read
// models keep their priority: every read after a write waits for them.
if (options.kind === 'search') lowerThreadPriority(SEARCH_NICE);
const post = (m: FromWorker): void => {
  port.postMessage(m);
};

// The log read here, woken by its commit counter (app/worker-log.ts); positions are reported after each batch.
const workerLog = await starting(() =>
  openWorkerLog({
    eventsFile: options.eventsFile,
    keysFile: options.keysFile,
    ...(options.sealedShare === undefined ? {} : { sealedShare: options.sealedShare }),
    commitSignal: options.commitSignal,
    onHandled: (events) => {
      const last = events[events.length - 1];
      if (last !== undefined) post({ type: 'position', position: last.position });
    },
  }),
);
const store = workerLog.store;
const projectionLog: FollowerLog = {
  warn: (obj, msg) => {
    post({ type: 'log', level: 'warn', obj, msg });
  },
  // Errors do not survive postMessage's structured clone as Errors: send their text.
  error: (obj, msg) => {
    const err = (obj as { err?: unknown }).err;
    const text = err instanceof Error ? err.message : typeof err === 'string' ? err : JSON.stringify(err);
    post({ type: 'log', level: 'error', obj: { ...obj, err: text }, msg });
  },
};
const onDeadLetters = (deadLetters: readonly DeadLetter[]): void => {
  post({ type: 'quarantined', deadLetters });
};

const open = (): { runner: Projection<unknown>; close: () => Promise<void> } => {
  if (options.kind === 'search') {
    const search = searchProjection({
      index: createEmbeddedSearchIndex({ file: options.file }),
      store,
      log: projectionLog,
      onDeadLetters,
    });
    return { runner: search.runner, close: () => search.close() };
  }
  // The main thread reads the live file too: it removes the previous one once it switched.
  const read = openEmbeddedReadStore({
    file: options.file,
    store,
    log: projectionLog,
    onDeadLetters,
    retire: false,
    onPromoted: (file, previous) => {
      post({ type: 'promoted', file, previous });
    },
  });
  return { runner: read.runner, close: () => read.close() };
};

const { runner, close } = await starting(open);
port.on('message', (m: ToWorker) => {
  if (m.type === 'rebuild') {
    runner
      .rebuild(
        (position, head) => {
          post({ type: 'progress', position, head });
        },
        { allowSkips: m.allowSkips },
      )
      .then(
        ({ replayed }) => {
          post({ type: 'rebuilt', position: runner.status()[0]?.position ?? 0, replayed });
        },
        (e: unknown) => {
          post({
            type: 'rebuildFailed',
            message: e instanceof Error ? e.message : String(e),
            ...(e instanceof RebuildWouldSkip ? { skips: e.deadLetters } : {}),
          });
        },
      );
  } else if (m.type === 'ask') {
    void (m.what === 'deadLetters' ? runner.deadLetters() : runner.wouldSkip()).then(
      (deadLetters) => {
        post({ type: 'answer', id: m.id, deadLetters });
      },
      (e: unknown) => {
        post({ type: 'answer', id: m.id, deadLetters: [], error: e instanceof Error ? e.message : String(e) });
      },
    );
  } else {
    void close().then(async () => {
      await workerLog.close();
      post({ type: 'stopped' });
      port.close();
    });
  }
});

// The follower's failing batch, for the main thread's status() and /readyz: looked at once a
// second (a failing batch is retried with a backoff of seconds; nothing to report per event).
let stalled = 'null';
setInterval(() => {
  const now = runner.status()[0]?.stalled;
  const text = JSON.stringify(now ?? null);
  if (text === stalled) return;
  stalled = text;
  post({ type: 'stalled', stalled: now ?? null });
}, 1_000).unref();

void runner.ready().then(
  () => {
    runner.start();
    post({ type: 'ready', name: runner.name, position: runner.status()[0]?.position ?? 0 });
  },
  (e: unknown) => {
    throw e instanceof Error ? e : new Error(String(e));
  },
);
