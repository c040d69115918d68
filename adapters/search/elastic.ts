import { Client } from '@elastic/elasticsearch';
import { deleteIndices, deleteTemplates, indexNames, installIndices, isValidPrefix } from './elastic-indices.js';
import type { IndexNames } from './elastic-indices.js';
import { deliveryFromSource, elasticQueries, messageFromSource } from './elastic-query.js';
import { elasticWriter } from './elastic-write.js';
import { FailedToIndex, FailedToQuery } from './errors.js';
import type { SearchIndex } from '../../ports/search.js';

// The search store on Elasticsearch 8 (official client). Every vendor payload is built in
// elastic-write.ts / elastic-query.ts; this file only composes them and turns the client's
// exceptions into the port's FailedToIndex / FailedToQuery.

export interface ElasticSearchOptions {
  readonly url: string;
  /** Index name prefix (`msgxc-` gives msgxc-messages, msgxc-deliveries, ...). */
  readonly prefix?: string;
  /** Overrides the templates' number_of_replicas (a single-node cluster wants 0). */
  readonly replicas?: number;
  /** Refresh after every written batch (tests); otherwise ES refreshes about every second. */
  readonly refreshEachBatch?: boolean;
  readonly requestTimeoutMs?: number;
}

export interface ElasticSearchIndex extends SearchIndex {
  readonly names: IndexNames;
  /** Deletes the indices and their templates (tests, decommissioning). */
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
  const install = wrap(FailedToIndex, 'creating the search indices', () =>
    installIndices(client, names, options.replicas),
  );
  try {
    await install();
  } catch (e) {
    await client.close();
    throw e;
  }
  const write = elasticWriter(client, names, options.refreshEachBatch ?? false);
  const queries = elasticQueries(client, names);
  const mget = async <D>(index: string, ids: readonly string[], decode: (s: unknown) => D): Promise<Map<string, D>> => {
    if (ids.length === 0) return new Map();
    const r = await client.mget({ index, ids: [...ids] });
    return new Map(r.docs.flatMap((d) => ('found' in d && d.found ? [[d._id, decode(d._source)] as const] : [])));
  };

  return {
    names,
    write: wrap(FailedToIndex, 'writing a search batch', write),
    checkpoint: wrap(FailedToQuery, 'reading a checkpoint', async (name) => {
      const r = await client.get<{ position: number }>({ index: names.checkpoints, id: name }, { ignore: [404] });
      return r.found ? (r._source?.position ?? 0) : 0;
    }),
    messages: wrap(FailedToQuery, 'reading messages', (mids) => mget(names.messages, mids, messageFromSource)),
    deliveries: wrap(FailedToQuery, 'reading deliveries', (ids) => mget(names.deliveries, ids, deliveryFromSource)),
    refresh: wrap(FailedToIndex, 'refreshing', async () => {
      await client.indices.refresh({ index: Object.values(names) });
    }),
    reset: wrap(FailedToIndex, 'resetting the search indices', async () => {
      await deleteIndices(client, names);
      await installIndices(client, names, options.replicas);
    }),
    searchMessages: wrap(FailedToQuery, 'searching messages', (q) => queries.searchMessages(q)),
    terms: wrap(FailedToQuery, 'terms aggregation', (q) => queries.terms(q)),
    histogram: wrap(FailedToQuery, 'date histogram', (q) => queries.histogram(q)),
    documents: (index, page) => wrap(FailedToQuery, 'listing documents', () => queries.documents(index, page))(),
    destroy: wrap(FailedToIndex, 'deleting the search indices', async () => {
      await deleteIndices(client, names);
      await deleteTemplates(client, names);
    }),
    close: () => client.close(),
  };
};
