import type { Clock } from '../../ports/clock.js';
import type { SqliteEventStore } from '../../adapters/eventstore/sqlite.js';
import { createEmbeddedReadModels, openReadDb } from '../../projections/embedded.js';
import type { EmbeddedReadStore, ProjectionLog } from '../../projections/embedded.js';
import type { ProjectionRunner } from '../../ports/projections.js';
import { startProjectionWorker } from './client.js';

/**
 * The embedded read store with its projection runner in a worker thread. Queries run here
 * on a read connection of the same file. Only for the SQLite log: the worker opens its file.
 */
export const openThreadedReadStore = async (options: {
  readonly readFile: string;
  readonly eventsFile: string;
  readonly store: SqliteEventStore;
  readonly log: ProjectionLog;
  readonly clock?: Clock;
}): Promise<Omit<EmbeddedReadStore, 'runner'> & { readonly runner: ProjectionRunner }> => {
  const worker = await startProjectionWorker({
    kind: 'reads',
    file: options.readFile,
    eventsFile: options.eventsFile,
    store: options.store,
    log: options.log,
  });
  // The worker created the schema before saying ready; this connection only reads.
  const db = openReadDb(options.readFile);
  return {
    /** This thread's connection to the read models: for queries only, never for writes. */
    db,
    models: createEmbeddedReadModels(db, options.clock),
    runner: worker.runner,
    close: async () => {
      db.close();
      await worker.close();
    },
  };
};
