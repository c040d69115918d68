// Worker-thread entry of the embedded log's writer (see sqlite-worker-queue.ts): owns the only
// writing connection and commits each batch it is handed in ONE fsynced transaction
// (synchronous=FULL, sqlite-tables.ts), then answers. It never runs an event loop: it sleeps in
// Atomics.wait on the request counter, so a hand-off costs the main thread one futex wake, not
// a message. A constraint error belongs to one append, so that batch is retried one append at
// a time; any other error (disk full, I/O) fails the whole batch and nothing of it is answered
// as appended.
import { writeFileSync } from 'node:fs';
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { AppendResult } from '../../ports/eventstore.js';
import { CLOSING, COMMITTED, FAILED, REPLY_SEQ, REQUEST_SEQ, decodeBatch, writeOutcome } from './sqlite-handoff.js';
import { openWriter } from './sqlite-tables.js';
import { createBatchCommitter } from './sqlite-writer.js';
import type { PendingAppend } from './sqlite-writer.js';

export interface WriterThreadData {
  readonly file: string;
  readonly control: SharedArrayBuffer;
  readonly request: SharedArrayBuffer;
  readonly reply: SharedArrayBuffer;
  /** Carries a larger request buffer one way and failures' texts the other. */
  readonly port: MessagePort;
  /** Counts commits; bumped here so that readers in other threads wake without the event loop. */
  readonly commitSignal: SharedArrayBuffer;
}

/** Posted by the writer before it answers a batch with failures: the text per failed append. */
export interface Failures {
  readonly failures: Record<number, string>;
}

type Outcome = AppendResult | { readonly error: string };

const isPerAppendError = (e: unknown): boolean =>
  e instanceof Error && 'code' in e && typeof e.code === 'string' && e.code.startsWith('SQLITE_CONSTRAINT');
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

const data = workerData as WriterThreadData;
// Named for `top -H` and per-thread CPU (as app/thread-name.ts does for the app's workers).
try {
  writeFileSync('/proc/thread-self/comm', 'msgxc-writer');
} catch {
  // not Linux: a diagnostic only
}
const control = new Int32Array(data.control);
const reply = new Float64Array(data.reply);
const commitSignal = new Int32Array(data.commitSignal);
let request = Buffer.from(data.request);
const db = openWriter(data.file);
const commit = createBatchCommitter(db);

const run = (batch: readonly PendingAppend[]): { outcomes: Outcome[]; committed: boolean } => {
  try {
    return { outcomes: commit(batch), committed: true };
  } catch (e) {
    if (batch.length > 1 && isPerAppendError(e)) {
      const each = batch.map((a) => run([a]));
      return { outcomes: each.flatMap((r) => r.outcomes), committed: each.some((r) => r.committed) };
    }
    return { outcomes: batch.map(() => ({ error: message(e) })), committed: false };
  }
};

let seen = 0;
for (;;) {
  Atomics.wait(control, REQUEST_SEQ, seen);
  seen = Atomics.load(control, REQUEST_SEQ);
  if (Atomics.load(control, CLOSING) === 1) break;
  // A request larger than the buffer came with a new one, posted before the counter moved.
  for (let m = receiveMessageOnPort(data.port); m !== undefined; m = receiveMessageOnPort(data.port))
    request = Buffer.from((m.message as { request: SharedArrayBuffer }).request);
  const { outcomes, committed } = run(decodeBatch(request));
  const failures: Record<number, string> = {};
  let failed = false;
  for (const [i, o] of outcomes.entries()) {
    if ('error' in o) {
      reply[i * 3] = FAILED;
      failures[i] = o.error;
      failed = true;
    } else writeOutcome(reply, i, o);
  }
  if (failed) data.port.postMessage({ failures } satisfies Failures);
  if (committed) {
    Atomics.add(commitSignal, 0, 1);
    Atomics.notify(commitSignal, 0);
  }
  Atomics.store(control, COMMITTED, committed ? 1 : 0);
  Atomics.add(control, REPLY_SEQ, 1);
  Atomics.notify(control, REPLY_SEQ);
}
db.close();
data.port.close();
