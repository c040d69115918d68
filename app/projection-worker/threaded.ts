import type { Database } from 'better-sqlite3';
import { liveFile, removeGenerationFiles } from '../../adapters/checkpoint/sqlite-generations.js';
import type { SqliteEventStore } from '../../adapters/eventstore/sqlite.js';
import type { FollowerLog } from '../../follower/follower.js';
import type { Clock } from '../../ports/clock.js';
import type { DeadLetter } from '../../ports/follower.js';
import type { ProjectionRunner } from '../../ports/projections.js';
import type { ReadModels } from '../../ports/read-models.js';
import { openSqliteReadFile } from '../../adapters/read-store/sqlite.js';
import { createEmbeddedReadModels, readModelsIn } from '../../projections/embedded.js';
import { liveReadModels } from '../../projections/live-read-models.js';
import { startProjectionWorker } from './client.js';

/**
 * The embedded read store with its follower in a worker thread. Queries run here on a read
 * connection of the live generation's file, switched when the worker promotes a new one (the
 * previous file is removed here, once this thread no longer reads it). Only for the SQLite
 * log: the worker opens its file.
 */
export const openThreadedReadStore = async (options: {
  readonly readFile: string;
  readonly eventsFile: string;
  readonly keysFile: string | undefined;
  /** The main thread's sealed fields (adapters/eventstore/sealed-share.ts). */
  readonly sealedShare?: SharedArrayBuffer;
  readonly store: SqliteEventStore;
  readonly log: FollowerLog;
  readonly clock?: Clock;
  readonly onDeadLetters?: (dead: readonly DeadLetter[]) => void;
  /** A new generation went live at `file` (the HTTP worker threads switch their readers too). */
  readonly onPromoted?: (file: string) => void;
}): Promise<{
  readonly db: Database;
  readonly models: ReadModels;
  readonly runner: ProjectionRunner;
  close(): Promise<void>;
}> => {
  let db: Database | undefined;
  let models: ReadModels | undefined;
  const use = (file: string): void => {
    const previous = db;
    db = readModelsIn(openSqliteReadFile(file));
    models = createEmbeddedReadModels(db, options.clock);
    previous?.close();
  };
  const worker = await startProjectionWorker({
    kind: 'reads',
    file: options.readFile,
    eventsFile: options.eventsFile,
    keysFile: options.keysFile,
    ...(options.sealedShare === undefined ? {} : { sealedShare: options.sealedShare }),
    store: options.store,
    log: options.log,
    ...(options.onDeadLetters === undefined ? {} : { onDeadLetters: options.onDeadLetters }),
    onPromoted: (file, previous) => {
      use(file);
      options.onPromoted?.(file);
      removeGenerationFiles(previous);
    },
  });
  // The worker created the live generation's schema before saying ready; this connection only reads.
  use(liveFile(options.readFile));
  const current = (): ReadModels => {
    if (models === undefined) throw new Error('the read models are closed');
    return models;
  };
  return {
    get db() {
      if (db === undefined) throw new Error('the read models are closed');
      return db;
    },
    models: liveReadModels(current),
    runner: worker.runner,
    close: async () => {
      db?.close();
      db = undefined;
      models = undefined;
      await worker.close();
    },
  };
};
