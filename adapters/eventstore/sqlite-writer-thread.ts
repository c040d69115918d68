// Worker-thread entry of the embedded log's writer (see sqlite-worker-queue.ts): owns the only
// writing connection, commits each batch it is sent in one fsynced transaction, answers with
// one result per append. A constraint error belongs to one append, so that batch is retried
// one append at a time; any other error fails the whole batch (disk full, I/O).
import { parentPort, workerData } from 'node:worker_threads';
import { openWriter } from './sqlite-tables.js';
import { createBatchCommitter } from './sqlite-writer.js';
import type { PendingAppend } from './sqlite-writer.js';
import type { AppendResult } from '../../ports/eventstore.js';

export type Outcome = { readonly ok: AppendResult } | { readonly error: string };
export interface BatchReply {
  readonly id: number;
  readonly outcomes: readonly Outcome[];
  readonly committed: boolean;
}

const port = parentPort;
if (port === null) throw new Error('sqlite-writer-thread must run as a worker thread');
const db = openWriter((workerData as { file: string }).file);
const commit = createBatchCommitter(db);

const isPerAppendError = (e: unknown): boolean =>
  e instanceof Error && 'code' in e && typeof e.code === 'string' && e.code.startsWith('SQLITE_CONSTRAINT');
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

const run = (batch: readonly PendingAppend[]): { outcomes: Outcome[]; committed: boolean } => {
  try {
    return { outcomes: commit(batch).map((ok) => ({ ok })), committed: true };
  } catch (e) {
    if (batch.length > 1 && isPerAppendError(e)) {
      const each = batch.map((a) => run([a]));
      return { outcomes: each.flatMap((r) => r.outcomes), committed: each.some((r) => r.committed) };
    }
    return { outcomes: batch.map(() => ({ error: message(e) })), committed: false };
  }
};

port.on('message', (m: { id: number; batch: readonly PendingAppend[] } | 'close') => {
  if (m === 'close') {
    db.close();
    port.close();
    return;
  }
  const { outcomes, committed } = run(m.batch);
  port.postMessage({ id: m.id, outcomes, committed } satisfies BatchReply);
});
