import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import type { AppendResult } from '../../ports/eventstore.js';
import type { CommitStats, GroupCommitQueue } from './sqlite-group-commit.js';
import {
  CLOSING,
  COMMITTED,
  CONTROL_BYTES,
  REPLY_SEQ,
  REQUEST_SEQ,
  encodeBatch,
  readOutcome,
  waitAsync,
  worstCaseBytes,
} from './sqlite-handoff.js';
import type { PendingAppend } from './sqlite-writer.js';
import type { Failures, WriterThreadData } from './sqlite-writer-thread.js';

interface Waiting {
  readonly append: PendingAppend;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

const INITIAL_REQUEST_BYTES = 4 * 1024 * 1024;

// Group commit with the fsync off the event loop (the server's writer): one batch is in the
// writer thread at a time, and every append that arrives while it commits becomes the next
// batch the moment it returns. Under load the batch grows with the commit time, so the log
// does one fsync per batch while this thread keeps parsing, deciding and answering. An
// append's promise settles only from the writer's answer, which it gives after the commit
// returned: "2xx means fsynced" holds as with the inline writer. The hand-off is shared memory
// (sqlite-handoff.ts). The inline queue (sqlite-group-commit.ts) is what in-process tools and
// tests use, and the benchmark's baseline.
export const createWorkerGroupCommitQueue = (
  file: string,
  options: {
    readonly maxBatch: number;
    readonly onCommitted: () => void;
    readonly commitSignal: SharedArrayBuffer;
    /** Each append of a committed batch, before onCommitted. */
    readonly onAppended?: (append: PendingAppend, result: AppendResult) => void;
  },
): GroupCommitQueue & { close(): Promise<void> } => {
  const controlBuffer = new SharedArrayBuffer(CONTROL_BYTES);
  const control = new Int32Array(controlBuffer);
  const replyBuffer = new SharedArrayBuffer(options.maxBatch * 3 * Float64Array.BYTES_PER_ELEMENT);
  const reply = new Float64Array(replyBuffer);
  let requestBuffer = new SharedArrayBuffer(INITIAL_REQUEST_BYTES);
  let request = Buffer.from(requestBuffer);
  const { port1, port2 } = new MessageChannel();
  const threadData: WriterThreadData = {
    file,
    control: controlBuffer,
    request: requestBuffer,
    reply: replyBuffer,
    port: port2,
    commitSignal: options.commitSignal,
  };
  const worker = new Worker(new URL('./sqlite-writer-thread.js', import.meta.url), {
    workerData: threadData,
    transferList: [port2],
  });
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  let queue: Waiting[] = [];
  let inFlight: Waiting[] | undefined;
  let scheduled = false;
  let dead: Error | undefined;
  let commits = 0;
  let appends = 0;
  const drainWaiters: (() => void)[] = [];

  const answer = (batch: readonly Waiting[]): void => {
    const committed = Atomics.load(control, COMMITTED) === 1;
    let failures: Record<number, string> | undefined;
    batch.forEach((w, i) => {
      const result = readOutcome(reply, i, w.append);
      if (result !== undefined) {
        if (committed) options.onAppended?.(w.append, result);
        w.resolve(result);
        return;
      }
      failures ??= (receiveMessageOnPort(port1)?.message as Failures | undefined)?.failures ?? {};
      w.reject(new Error(failures[i] ?? 'the log writer failed this append'));
    });
    if (committed) {
      commits += 1;
      appends += batch.length;
      options.onCommitted();
    }
  };

  const send = (): void => {
    scheduled = false;
    if (dead !== undefined || inFlight !== undefined) return;
    if (queue.length === 0) {
      for (const done of drainWaiters.splice(0)) done();
      return;
    }
    const first = queue[0]?.append;
    // One append larger than the buffer: the writer gets a bigger one, posted before the counter moves.
    if (first !== undefined && worstCaseBytes(first) + 4 > request.length) {
      requestBuffer = new SharedArrayBuffer(Math.max(request.length * 2, worstCaseBytes(first) + 4));
      request = Buffer.from(requestBuffer);
      port1.postMessage({ request: requestBuffer });
    }
    const count = encodeBatch(
      request,
      queue.map((w) => w.append),
      options.maxBatch,
    );
    inFlight = queue.slice(0, count);
    queue = queue.slice(count);
    const seq = Atomics.load(control, REPLY_SEQ);
    Atomics.add(control, REQUEST_SEQ, 1);
    Atomics.notify(control, REQUEST_SEQ);
    const waited = waitAsync(control, REPLY_SEQ, seq);
    const done = (): void => {
      const batch = inFlight ?? [];
      inFlight = undefined;
      if (dead !== undefined) return;
      answer(batch);
      send();
    };
    if (waited.async) void waited.value.then(done);
    else done();
  };

  // A dead writer must not leave appends hanging: fail them, and every later one.
  worker.on('error', (e) => {
    dead = e;
    for (const w of [...(inFlight ?? []), ...queue]) w.reject(e);
    inFlight = undefined;
    queue = [];
    for (const done of drainWaiters.splice(0)) done();
  });

  return {
    enqueue: (append) =>
      new Promise<AppendResult>((resolve, reject) => {
        if (dead) {
          reject(dead);
          return;
        }
        queue.push({ append, resolve, reject });
        // With the writer idle, the batch goes as soon as this task's appends are queued (a
        // microtask, not the next turn of the loop: on a busy loop a turn is milliseconds the
        // append would wait for nothing). Appends arriving while it commits are the next batch.
        if (inFlight === undefined && !scheduled) {
          scheduled = true;
          queueMicrotask(send);
        }
      }),
    drained: () =>
      dead !== undefined || (inFlight === undefined && queue.length === 0)
        ? Promise.resolve()
        : new Promise((resolve) => drainWaiters.push(resolve)),
    stats: (): CommitStats => ({ commits, appends }),
    close: async () => {
      Atomics.store(control, CLOSING, 1);
      Atomics.add(control, REQUEST_SEQ, 1);
      Atomics.notify(control, REQUEST_SEQ);
      await exited;
      port1.close();
    },
  };
};
