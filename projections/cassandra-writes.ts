import { CL } from './cassandra-db.js';
import type { CassandraDb } from './cassandra-db.js';
import type { Mutation } from './cassandra-projection.js';

export interface WriteOptions {
  /** Requests in flight at once (default 128; token-aware, so they spread over the replicas). */
  readonly concurrency?: number;
  /** Most statements per unlogged batch (default 20, well under the 5 kB batch warning for slim rows). */
  readonly batchRows?: number;
}

/** Runs `fn` over `items` with at most `limit` calls in flight; stops taking new items after a failure. */
export const forEachLimit = async <T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> => {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const item = items[next] as T;
      next += 1;
      try {
        await fn(item);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
};

/**
 * Sends a batch's mutations: those of one partition go together as unlogged batches (one
 * mutation on the replica, applied atomically), all partitions concurrently. A multi-partition
 * batch would only add coordinator work (and a logged one the batchlog); since every write
 * carries its own timestamp, their order does not matter and none is needed.
 */
export const writeMutations = async (
  db: CassandraDb,
  mutations: readonly Mutation[],
  options: WriteOptions = {},
): Promise<void> => {
  const batchRows = options.batchRows ?? 20;
  const groups = new Map<string, Mutation[]>();
  for (const m of mutations) {
    const g = groups.get(m.partition);
    if (g === undefined) groups.set(m.partition, [m]);
    else g.push(m);
  }
  const chunks: Mutation[][] = [];
  for (const g of groups.values()) for (let i = 0; i < g.length; i += batchRows) chunks.push(g.slice(i, i + batchRows));
  const opts = { prepare: true, consistency: CL.write, isIdempotent: true } as const;
  await forEachLimit(chunks, options.concurrency ?? 128, (chunk) => {
    const [only] = chunk;
    if (chunk.length === 1 && only !== undefined) return db.client.execute(only.cql, [...only.params], opts);
    return db.client.batch(
      chunk.map((m) => ({ query: m.cql, params: [...m.params] })),
      { ...opts, logged: false },
    );
  });
};
