import { Client } from '@elastic/elasticsearch';
import { deleteTemplates, indexNames, isValidPrefix } from './elastic-indices.js';
import type { IndexNames } from './elastic-indices.js';
import { elasticGenerations, elasticStore } from './elastic-generations.js';
import { elasticQueries } from './elastic-query.js';
import { FailedToIndex, FailedToQuery } from './errors.js';
import type { SearchIndex } from '../../ports/search.js';

// The search store on Elasticsearch 8 (official client). Every vendor payload is built in
// elastic-write.ts / elastic-query.ts, the generations in elastic-generations.ts; this file
// only composes them and turns the client's exceptions into FailedToIndex / FailedToQuery.

export interface ElasticSearchOptions {
  readonly url: string;
  /** Index name prefix (`msgxc-` gives the aliases msgxc-messages, msgxc-deliveries, ...). */
  readonly prefix?: string;
  /** Overrides the mappings' number_of_replicas (a single-node cluster wants 0). */
  readonly replicas?: number;
  /** Refresh after every written batch (tests); otherwise ES refreshes about every second. */
  readonly refreshEachBatch?: boolean;
  readonly requestTimeoutMs?: number;
}

export interface ElasticSearchIndex extends SearchIndex {
  /** The aliases queries use, each naming the live generation's index. */
  readonly names: IndexNames;
  /** Deletes every generation's indices (tests, decommissioning). */
  destroy(): Promise<void>;
}

const wrap =
  <A extends unknown[], R>(
    Err: new (msg: string, o?: { cause: unknown }) => Error,
    what: string,
    f: (...a: A) => Promise<R>,
  ) =>
  async (...args: A): Promise<R> => {
    try {
      return await f(...args);
    } catch (e) {
      if (e instanceof FailedToIndex || e instanceof FailedToQuery) throw e;
      throw new Err(`${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  };

export const openElasticSearchIndex = async (options: ElasticSearchOptions): Promise<ElasticSearchIndex> => {
  const prefix = options.prefix ?? 'msgxc-';
  if (!isValidPrefix(prefix)) throw new Error(`invalid Elasticsearch index prefix ${JSON.stringify(prefix)}`);
  const client = new Client({ node: options.url, requestTimeout: options.requestTimeoutMs ?? 30_000, maxRetries: 2 });
  const names = indexNames(prefix);
  const generations = elasticGenerations(client, prefix, options);
  try {
    await wrap(FailedToIndex, 'creating the search indices', () => generations.live())();
  } catch (e) {
    await client.close();
    throw e;
  }
  // Through the aliases: always the live generation, also after a rebuild swapped it.
  const { store } = elasticStore(client, names, options.refreshEachBatch ?? false);
  const queries = elasticQueries(client, names);

  return {
    names,
    generations,
    write: wrap(FailedToIndex, 'writing a search batch', store.write),
    checkpoint: wrap(FailedToQuery, 'reading a checkpoint', store.checkpoint),
    messages: wrap(FailedToQuery, 'reading messages', store.messages),
    deliveries: wrap(FailedToQuery, 'reading deliveries', store.deliveries),
    users: wrap(FailedToQuery, 'reading users', store.users),
    liveUids: wrap(FailedToQuery, 'reading live lists', store.liveUids),
    setMembers: wrap(FailedToQuery, 'reading set members', store.setMembers),
    addressed: wrap(FailedToQuery, 'reading addressed members', store.addressed),
    heldReceipts: wrap(FailedToQuery, 'reading held receipts', store.heldReceipts),
    refresh: wrap(FailedToIndex, 'refreshing', store.refresh),
    reset: wrap(FailedToIndex, 'resetting the search indices', () => generations.reset()),
    searchMessages: wrap(FailedToQuery, 'searching messages', (q) => queries.searchMessages(q)),
    terms: wrap(FailedToQuery, 'terms aggregation', (q) => queries.terms(q)),
    histogram: wrap(FailedToQuery, 'date histogram', (q) => queries.histogram(q)),
    funnel: wrap(FailedToQuery, 'funnel sums', (f) => queries.funnel(f)),
    variantFunnel: wrap(FailedToQuery, 'funnel per variant', (mid) => queries.variantFunnel(mid)),
    documents: (index, page) => wrap(FailedToQuery, 'listing documents', () => queries.documents(index, page))(),
    onlineTime: wrap(FailedToQuery, 'online time', (q) => queries.onlineTime(q)),
    countUsers: wrap(FailedToQuery, 'counting users', (q) => queries.countUsers(q)),
    selectUsers: wrap(FailedToQuery, 'selecting users', (q, page) => queries.selectUsers(q, page)),
    destroy: wrap(FailedToIndex, 'deleting the search indices', async () => {
      const all = await client.indices.get({ index: `${prefix}*`, allow_no_indices: true, expand_wildcards: 'all' });
      const mine = Object.keys(all).filter((i) => Object.values(names).some((a) => i === a || i.startsWith(`${a}-g`)));
      if (mine.length > 0) await client.indices.delete({ index: mine, ignore_unavailable: true });
      await deleteTemplates(client, names);
    }),
    close: () => client.close(),
  };
};
