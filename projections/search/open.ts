import type { EventStore } from '../../ports/eventstore.js';
import type { SearchIndex } from '../../ports/search.js';
import type { ProjectionLog } from '../runner.js';
import { createSearchProjectionRunner } from './runner.js';
import type { SearchProjectionRunner } from './runner.js';

// The search projection over a search store the composition root chose (app/engines.ts:
// SQLite FTS5 or Elasticsearch). The runner is not started: the caller decides when.
//   const search = searchProjection({ index, store, log });
//   search.runner.start(); ... await search.runner.waitFor(position); await search.index.searchMessages(q);

export interface OpenedSearch {
  readonly index: SearchIndex;
  readonly runner: SearchProjectionRunner;
  /** Stops the runner, then closes the store. */
  close(): Promise<void>;
}

export const searchProjection = (options: {
  readonly index: SearchIndex;
  readonly store: EventStore;
  readonly log?: ProjectionLog;
}): OpenedSearch => {
  const { index } = options;
  const runner = createSearchProjectionRunner({
    store: options.store,
    index,
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  return {
    index,
    runner,
    close: async () => {
      await runner.stop();
      await index.close();
    },
  };
};
