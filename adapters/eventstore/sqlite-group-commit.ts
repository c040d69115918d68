import type { AppendResult } from '../../ports/eventstore.js';
import type { BatchCommitter, PendingAppend } from './sqlite-writer.js';

export interface CommitStats {
  /** Transactions that committed (each is one fsync of the WAL). */
  readonly commits: number;
  /** Appends answered from committed transactions (appended or conflict). */
  readonly appends: number;
}

export interface GroupCommitQueue {
  enqueue(append: PendingAppend): Promise<AppendResult>;
  /** Settles once every append enqueued so far has been answered. */
  drained(): Promise<void>;
  stats(): CommitStats;
}

interface Waiting {
  readonly append: PendingAppend;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

// A constraint error (a trigger, a foreign writer's row) belongs to one append and leaves
// the transaction uncommitted, so the batch is retried one append at a time to let the
// others through. Anything else (disk full, I/O error) fails the whole batch.
const isPerAppendError = (e: unknown): boolean =>
  e instanceof Error && 'code' in e && typeof e.code === 'string' && e.code.startsWith('SQLITE_CONSTRAINT');

// Group commit, in the event loop's thread (MSGXC_EMBEDDED_WRITER=inline; in-process tools and
// tests that run the TypeScript sources use it too). Appends queue up until the check phase
// (setImmediate), so every request parsed in the same poll phase shares one transaction and
// one fsync. The commit itself is synchronous: nothing can be enqueued while it runs, and
// whatever arrives meanwhile waits in the socket buffers for the next batch.
//
// The server's default is the writer thread (sqlite-worker-queue.ts). Measured in 2026-11 with
// a fsync of ~0.15 ms, this queue was as fast or faster on two cores; on 2026-12-05 the shared
// machine's fsync took 2-5 ms (p90 7-12 ms) and a CPU profile under the send load showed the
// event loop blocked inside this commit for 20-34 % of its time (BENCHMARKS.md), time in which
// no request was parsed or answered.
export const createGroupCommitQueue = (
  commit: BatchCommitter,
  options: {
    readonly maxBatch: number;
    readonly onCommitted: () => void;
    /** Each append of a committed batch, before onCommitted. */
    readonly onAppended?: (append: PendingAppend, result: AppendResult) => void;
  },
): GroupCommitQueue => {
  let queue: Waiting[] = [];
  let scheduled = false;
  let commits = 0;
  let appends = 0;
  const drainWaiters: (() => void)[] = [];

  // Returns whether anything committed, so subscribers are woken only when there is news.
  const settle = (batch: readonly Waiting[]): boolean => {
    let results: AppendResult[];
    try {
      results = commit(batch.map((w) => w.append));
    } catch (e) {
      if (batch.length > 1 && isPerAppendError(e)) return batch.map((w) => settle([w])).includes(true);
      for (const w of batch) w.reject(e);
      return false;
    }
    commits += 1;
    appends += batch.length;
    batch.forEach((w, i) => {
      const result = results[i];
      if (result) {
        options.onAppended?.(w.append, result);
        w.resolve(result);
      } else w.reject(new Error('batch committer returned too few results'));
    });
    return true;
  };

  const flush = (): void => {
    scheduled = false;
    let committed = false;
    const pending = queue;
    queue = [];
    for (let i = 0; i < pending.length; i += options.maxBatch) {
      if (settle(pending.slice(i, i + options.maxBatch))) committed = true;
    }
    if (committed) options.onCommitted();
    for (const done of drainWaiters.splice(0)) done();
  };

  return {
    enqueue: (append) =>
      new Promise<AppendResult>((resolve, reject) => {
        queue.push({ append, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      }),
    drained: () => (scheduled ? new Promise((resolve) => drainWaiters.push(resolve)) : Promise.resolve()),
    stats: () => ({ commits, appends }),
  };
};
