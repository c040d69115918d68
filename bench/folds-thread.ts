import { MessageChannel, Worker } from 'node:worker_threads';
import type { SqliteEventStore } from '../adapters/eventstore/sqlite.js';
import { serveAppends } from '../adapters/eventstore/thread-append.js';
import { foldsBuffer, foldsPeerOf } from '../app/reactors-thread/folds-peer.js';
import type { PartOptions } from '../delivery/runner.js';
import type { FoldsPartData } from './folds-part.js';

// bench/triage.ts with BENCH_SPLIT=1: starts the folds' thread (./folds-part.ts) beside the
// bench's store, and gives what the sends part on the bench's main thread needs of it.
export const startFoldsThread = async (
  store: SqliteEventStore,
  data: Omit<FoldsPartData, 'commitSignal' | 'folds' | 'appends'>,
): Promise<{
  readonly options: PartOptions;
  /** Where the folds' wakes go (the sends part's scheduler, once started). */
  readonly wakes: { to?: (earliest?: number) => void };
  stop(): Promise<void>;
}> => {
  const appendChannel = new MessageChannel();
  const served = serveAppends(store, appendChannel.port1);
  const folds = foldsBuffer();
  const worker = new Worker(new URL('./folds-part.js', import.meta.url), {
    workerData: {
      ...data,
      commitSignal: store.commitSignal,
      folds,
      appends: appendChannel.port2,
    } satisfies FoldsPartData,
    transferList: [appendChannel.port2],
  });
  const stopped = new Promise<void>((resolve) => {
    worker.on('message', (m: { type: string }) => {
      if (m.type === 'stopped') resolve();
    });
    worker.on('exit', () => {
      resolve();
    });
  });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => {
      resolve();
    });
    worker.once('error', reject);
  });
  const wakes: { to?: (earliest?: number) => void } = {};
  const peer = foldsPeerOf(folds, (earliest) => {
    wakes.to?.(earliest);
  });
  return {
    options: { part: 'sends', foldsPeer: peer },
    wakes,
    stop: async () => {
      peer.close();
      worker.postMessage({ type: 'stop' });
      await stopped;
      served.close();
      await worker.terminate();
    },
  };
};
