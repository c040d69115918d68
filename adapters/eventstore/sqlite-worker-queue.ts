import { Worker } from 'node:worker_threads';
import type { AppendResult } from '../../ports/eventstore.js';
import type { CommitStats, GroupCommitQueue } from './sqlite-group-commit.js';
import type { PendingAppend } from './sqlite-writer.js';
import type { BatchReply } from './sqlite-writer-thread.js';

interface Waiting {
  readonly append: PendingAppend;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

// Group commit with the fsync off the event loop: one batch is in the writer thread at a
// time, and everything enqueued meanwhile becomes the next batch the moment it returns.
// Under load the batch grows with the commit time, so the log does one fsync per batch and
// the HTTP thread keeps parsing and deciding while the disk works. (In-thread group commit,
// sqlite-group-commit.ts, is simpler and is what tests and single-threaded tools use.)
export const createWorkerGroupCommitQueue = (
  file: string,
  options: { readonly maxBatch: number; readonly onCommitted: () => void },
): GroupCommitQueue & { close(): Promise<void> } => {
  const worker = new Worker(new URL('./sqlite-writer-thread.js', import.meta.url), { workerData: { file } });
  let queue: Waiting[] = [];
  let inFlight: Waiting[] | undefined;
  let nextId = 0;
  let commits = 0;
  let appends = 0;
  const drainWaiters: (() => void)[] = [];

  const send = (): void => {
    if (inFlight !== undefined || queue.length === 0) {
      if (inFlight === undefined) for (const done of drainWaiters.splice(0)) done();
      return;
    }
    inFlight = queue.slice(0, options.maxBatch);
    queue = queue.slice(options.maxBatch);
    worker.postMessage({ id: (nextId += 1), batch: inFlight.map((w) => w.append) });
  };

  worker.on('message', (reply: BatchReply) => {
    const batch = inFlight ?? [];
    inFlight = undefined;
    if (reply.committed) {
      commits += 1;
      appends += batch.length;
    }
    batch.forEach((w, i) => {
      const o = reply.outcomes[i];
      if (o !== undefined && 'ok' in o) w.resolve(o.ok);
      else w.reject(new Error(o?.error ?? 'writer thread returned too few results'));
    });
    if (reply.committed) options.onCommitted();
    send();
  });
  // A dead writer must not leave appends hanging: fail them, and every later one.
  let dead: Error | undefined;
  worker.on('error', (e) => {
    dead = e;
    for (const w of [...(inFlight ?? []), ...queue]) w.reject(e);
    inFlight = undefined;
    queue = [];
  });

  return {
    enqueue: (append) =>
      new Promise<AppendResult>((resolve, reject) => {
        if (dead) {
          reject(dead);
          return;
        }
        queue.push({ append, resolve, reject });
        // Appends of the same tick share the first batch too.
        if (inFlight === undefined && queue.length === 1) setImmediate(send);
      }),
    drained: () =>
      inFlight === undefined && queue.length === 0
        ? Promise.resolve()
        : new Promise((resolve) => drainWaiters.push(resolve)),
    stats: (): CommitStats => ({ commits, appends }),
    close: async () => {
      worker.postMessage('close');
      await new Promise((resolve) => worker.once('exit', resolve));
    },
  };
};
