import type { DomainEvent, DomainEventType, EventOf } from '../schema/events.js';
import type { CassandraDb } from './cassandra-db.js';
import type { MessageKeys } from './messages/cassandra-row.js';
import type { Applied } from './projection.js';
import { appendAll } from '../domain/append-all.js';

/**
 * One write, as data: the runner decides how to send it. Writes are independent of each
 * other's order (they carry their own timestamps), so the runner may group them by
 * partition into unlogged batches and send the groups concurrently.
 */
export interface Mutation {
  readonly cql: string;
  readonly params: readonly unknown[];
  /** `table:partition key`; mutations with equal keys may share an unlogged batch. */
  readonly partition: string;
}

/** What earlier events of the same batch left for later ones (their writes have not run yet). */
export interface BatchMemo {
  readonly messages: Map<string, MessageKeys | undefined>;
  /** The batch's AudienceChunk parts so far (uids in uid order): their rows are not written yet. */
  readonly parts: { readonly mid: string; readonly uids: readonly string[] }[];
}
export const newBatchMemo = (): BatchMemo => ({ messages: new Map(), parts: [] });

type Result = readonly Mutation[] | Promise<readonly Mutation[]>;
export type CassandraEvolvers = {
  readonly [K in DomainEventType]?: (data: EventOf<K>['data'], at: Applied, memo: BatchMemo) => Result;
};

// One read model stored in Cassandra: the tables it owns (truncated on rebuild, hashed by
// the checksum) and, per handled event type, the mutations the event turns into.
export interface CassandraProjection {
  readonly name: string;
  readonly tables: readonly string[];
  readonly prepare: (db: CassandraDb) => CassandraEvolvers;
}

type Apply = (data: unknown, at: Applied, memo: BatchMemo) => Result;

/** Event -> every projection's mutations for it, in projection order; and the types handled. */
export const cassandraDispatchTable = (db: CassandraDb, projections: readonly CassandraProjection[]) => {
  const table = new Map<string, Apply[]>();
  for (const p of projections) {
    for (const [type, fn] of Object.entries(p.prepare(db))) {
      // The mapped type guarantees `fn` receives its own event's data; the map loses that link.
      table.set(type, [...(table.get(type) ?? []), fn as Apply]);
    }
  }
  return {
    types: new Set(table.keys()) as ReadonlySet<string>,
    apply: async (e: DomainEvent, at: Applied, memo: BatchMemo): Promise<Mutation[]> => {
      const out: Mutation[] = [];
      for (const fn of table.get(e.type) ?? []) appendAll(out, await fn(e.data, at, memo));
      return out;
    },
  };
};

export const cassandraDispatcher = (db: CassandraDb, projections: readonly CassandraProjection[]) =>
  cassandraDispatchTable(db, projections).apply;
