import type { EventStore } from '../../ports/eventstore.js';
import type { DeadLetter } from '../../ports/follower.js';
import type { SearchIndex, SearchWriter } from '../../ports/search.js';
import { createProjection } from '../../follower/projection.js';
import type { Projection } from '../../follower/projection.js';
import type { FollowerLog } from '../../follower/follower.js';
import type { Backoff } from '../../follower/waiters.js';
import { SEARCH, searchHandler } from './handler.js';

// The search projection over a search store the composition root chose (app/engines.ts:
// SQLite FTS5 or Elasticsearch): the one log follower (follower/) on the store's live
// generation, rebuilt blue/green into a new one. The runner is not started: the caller decides when.
//   const search = searchProjection({ index, store, log });
//   search.runner.start(); ... await search.runner.waitFor(position); await search.index.searchMessages(q);

export type SearchProjectionRunner = Projection<SearchWriter>;

export interface SearchProjectionOptions {
  readonly store: EventStore;
  readonly index: SearchIndex;
  /** Checkpoint name (default `search`). */
  readonly name?: string;
  readonly log?: FollowerLog;
  /** Events per read while rebuilding (default 1000). */
  readonly pageSize?: number;
  readonly retry?: Backoff;
  readonly onDeadLetters?: (dead: readonly DeadLetter[]) => void;
}

export const createSearchProjectionRunner = (o: SearchProjectionOptions): SearchProjectionRunner =>
  createProjection({
    name: o.name ?? SEARCH,
    store: o.store,
    generations: o.index.generations,
    // A live list named by reference whose root is not kept is read from the log (live-refs.ts).
    handler: (index) => searchHandler(index, undefined, o.store),
    // Visible to queries, not only written: the engine is refreshed once the position is reached.
    visible: (generation) => generation.refresh(),
    ...(o.log === undefined ? {} : { log: o.log }),
    ...(o.pageSize === undefined ? {} : { pageSize: o.pageSize }),
    ...(o.retry === undefined ? {} : { retry: o.retry }),
    ...(o.onDeadLetters === undefined ? {} : { onDeadLetters: o.onDeadLetters }),
  });

export interface OpenedSearch {
  readonly index: SearchIndex;
  readonly runner: SearchProjectionRunner;
  /** Stops the runner, then closes the store. */
  close(): Promise<void>;
}

export const searchProjection = (options: Omit<SearchProjectionOptions, 'name'>): OpenedSearch => {
  const runner = createSearchProjectionRunner(options);
  return {
    index: options.index,
    runner,
    close: async () => {
      await runner.stop();
      await options.index.close();
    },
  };
};
