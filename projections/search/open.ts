import type { EventStore } from '../../ports/eventstore.js';
import { createEmbeddedSearchIndex } from '../../adapters/search/embedded.js';
import { openElasticSearchIndex } from '../../adapters/search/elastic.js';
import type { SearchIndex } from '../../ports/search.js';
import type { ProjectionLog } from '../runner.js';
import { createSearchProjectionRunner } from './runner.js';
import type { SearchProjectionRunner } from './runner.js';

// The composition a server uses: a search store chosen by one setting, and the projection
// that feeds it from the log. The runner is not started: the caller decides when.
//   const search = await openSearch({ kind: 'embedded', file: join(dataDir, 'search.db'), store, log });
//   search.runner.start(); ... await search.runner.waitFor(position); await search.index.searchMessages(q);

export type SearchConfig =
  | { readonly kind: 'embedded'; readonly file: string }
  | {
      readonly kind: 'elastic';
      readonly url: string;
      readonly prefix: string;
      readonly replicas?: number;
      readonly refreshEachBatch?: boolean;
    };

export interface OpenedSearch {
  readonly index: SearchIndex;
  readonly runner: SearchProjectionRunner;
  /** Stops the runner, then closes the store. */
  close(): Promise<void>;
}

export const openSearch = async (
  config: SearchConfig & { readonly store: EventStore; readonly log?: ProjectionLog },
): Promise<OpenedSearch> => {
  const index =
    config.kind === 'embedded'
      ? createEmbeddedSearchIndex({ file: config.file })
      : await openElasticSearchIndex({
          url: config.url,
          prefix: config.prefix,
          ...(config.replicas === undefined ? {} : { replicas: config.replicas }),
          ...(config.refreshEachBatch === undefined ? {} : { refreshEachBatch: config.refreshEachBatch }),
        });
  const runner = createSearchProjectionRunner({
    store: config.store,
    index,
    ...(config.log === undefined ? {} : { log: config.log }),
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
