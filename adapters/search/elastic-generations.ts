import type { Client } from '@elastic/elasticsearch';
import { createElasticCheckpoints } from '../checkpoint/elastic.js';
import type { Generation, Generations } from '../../ports/follower.js';
import type { SearchWriter } from '../../ports/search.js';
import { deliveryFromSource, messageFromSource } from './elastic-query.js';
import { userFromSource } from './elastic-users.js';
import {
  KINDS,
  addUsersIndex,
  createIndices,
  deleteIndices,
  generationNames,
  indexNames,
  upgradeCheckpointsIndex,
  upgradeDocumentIndices,
} from './elastic-indices.js';
import type { IndexNames } from './elastic-indices.js';
import { elasticWriter } from './elastic-write.js';
import { liveReads } from './elastic-live.js';

// Generations of the Elasticsearch store: concrete indices `<prefix><kind>-g<N>`, the live
// ones behind the aliases `<prefix><kind>` that queries use. Promoting moves all four aliases
// in one `_aliases` request (atomic for readers), then deletes the previous indices.

export interface ElasticGeneration extends Generation<SearchWriter> {
  readonly n: number;
  readonly names: IndexNames;
}

/** One generation's indices as the port's writer (the follower writes to concrete names). */
export const elasticStore = (client: Client, names: IndexNames, refreshEachBatch: boolean) => {
  const checkpoints = createElasticCheckpoints(client, names.checkpoints);
  const mget = async <D>(index: string, ids: readonly string[], decode: (s: unknown) => D): Promise<Map<string, D>> => {
    if (ids.length === 0) return new Map();
    const r = await client.mget({ index, ids: [...ids] });
    return new Map(r.docs.flatMap((d) => ('found' in d && d.found ? [[d._id, decode(d._source)] as const] : [])));
  };
  const store: Omit<SearchWriter, 'reset'> = {
    write: elasticWriter(client, names, refreshEachBatch, (name, position) => checkpoints.write(name, position)),
    checkpoint: (name) => checkpoints.read(name),
    messages: (mids) => mget(names.messages, mids, messageFromSource),
    deliveries: (ids) => mget(names.deliveries, ids, deliveryFromSource),
    users: (uids) => mget(names.users, uids, userFromSource),
    ...liveReads(client, names),
    refresh: async () => {
      await client.indices.refresh({ index: KINDS.map((k) => names[k]) });
    },
  };
  return { checkpoints, store };
};

export const elasticGenerations = (
  client: Client,
  prefix: string,
  options: { readonly replicas?: number; readonly refreshEachBatch?: boolean },
): Generations<SearchWriter> & { liveNow(): ElasticGeneration | undefined; reset(): Promise<void> } => {
  const aliases = indexNames(prefix);
  let live: ElasticGeneration | undefined;
  const open = (n: number): ElasticGeneration => {
    const names = generationNames(prefix, n);
    const { checkpoints, store } = elasticStore(client, names, options.refreshEachBatch ?? false);
    const reset = async (): Promise<void> => {
      await deleteIndices(client, names);
      await createIndices(client, names, options.replicas);
      if (n > 0) await link(names);
    };
    return { id: `g${n}`, n, names, checkpoints, store: { ...store, reset } };
  };
  const link = async (names: IndexNames): Promise<void> => {
    await client.indices.updateAliases({
      actions: KINDS.map((k) => ({ add: { index: names[k], alias: aliases[k] } })),
    });
  };
  const numbers = async (): Promise<number[]> => {
    const r = await client.indices.get({
      index: `${aliases.messages}-g*`,
      allow_no_indices: true,
      expand_wildcards: 'all',
    });
    return Object.keys(r).flatMap((name) => {
      const m = /-g(\d{1,9})$/.exec(name);
      return m?.[1] === undefined ? [] : [Number(m[1])];
    });
  };
  const find = async (): Promise<ElasticGeneration> => {
    const alias = await client.indices.getAlias({ name: aliases.messages }, { ignore: [404] });
    const [concrete] = Object.keys(alias).filter((k) => k.startsWith(`${aliases.messages}-g`));
    const n = concrete === undefined ? undefined : Number(/-g(\d{1,9})$/.exec(concrete)?.[1]);
    if (n !== undefined && Number.isInteger(n)) {
      const existing = open(n);
      await upgradeDocumentIndices(client, existing.names);
      await addUsersIndex(client, existing.names, aliases, options.replicas);
      return existing;
    }
    if (await client.indices.exists({ index: aliases.messages })) {
      const legacy = open(0);
      await upgradeCheckpointsIndex(client, legacy.names);
      await upgradeDocumentIndices(client, legacy.names);
      await addUsersIndex(client, legacy.names, undefined, options.replicas);
      return legacy;
    }
    // No alias yet: the first generation. Nodes starting together must agree on it, so a
    // generation another node has begun (indices without the alias yet) is joined, not
    // replaced: creation is idempotent and linking adds the same aliases again. Nothing is
    // written into a generation before it is linked, so one left by a crashed start is empty.
    const begun = await numbers();
    const first = open(begun.length === 0 ? 1 : Math.max(...begun));
    await createIndices(client, first.names, options.replicas);
    await link(first.names);
    return first;
  };
  return {
    liveNow: () => live,
    live: async () => (live ??= await find()),
    create: async () => {
      const g = open(Math.max(live?.n ?? 0, ...(await numbers())) + 1);
      await deleteIndices(client, g.names);
      await createIndices(client, g.names, options.replicas);
      return g;
    },
    promote: async (next) => {
      const previous = live;
      const g = next as ElasticGeneration;
      const unlink =
        previous === undefined
          ? []
          : KINDS.map((k) =>
              previous.n === 0
                ? { remove_index: { index: previous.names[k] } }
                : { remove: { index: previous.names[k], alias: aliases[k] } },
            );
      await client.indices.updateAliases({
        actions: [...unlink, ...KINDS.map((k) => ({ add: { index: g.names[k], alias: aliases[k] } }))],
      });
      live = g;
      if (previous !== undefined && previous.n > 0) await deleteIndices(client, previous.names).catch(() => undefined);
    },
    discard: async (g) => {
      if (g !== live) await deleteIndices(client, (g as ElasticGeneration).names);
    },
    reset: async () => {
      await (live ??= await find()).store.reset();
    },
  };
};
