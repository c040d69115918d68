import { types } from 'cassandra-driver';
import type { Client } from 'cassandra-driver';

// The read side's handle on Cassandra: one driver client (shared, token-aware), the keyspace
// every statement names explicitly (protocol v4 has no per-query keyspace, and a shared
// client may be bound to another one), and the consistency level of each kind of statement.
//
// Consistency, stated once:
// - writes and the checkpoint: LOCAL_QUORUM. The API answers a read after `waitFor(position)`,
//   so a projected row must be on a quorum before the checkpoint says it is there.
// - reads that serve the API and the projections' own look-ups: LOCAL_QUORUM, so that
//   R + W > RF and a read after `waitFor` sees every write the runner acknowledged (LOCAL_ONE
//   could ask a replica that has not received it yet, and read-your-writes would break).
// - userCount (a metric): LOCAL_ONE; a count a moment stale is fine there.
export const CL = {
  write: types.consistencies.localQuorum,
  read: types.consistencies.localQuorum,
  metric: types.consistencies.localOne,
} as const;

export interface CassandraDb {
  readonly client: Client;
  readonly keyspace: string;
  /** `keyspace.table`, for statement text. */
  readonly t: (table: string) => string;
  /** A prepared read; rows come back as plain column maps. */
  read(cql: string, params: readonly unknown[], consistency?: number): Promise<readonly Row[]>;
}

export type Row = Readonly<Record<string, unknown>>;

const KEYSPACE = /^[a-z][a-z0-9_]{0,47}$/;
export const isValidKeyspace = (ks: string): boolean => KEYSPACE.test(ks);

export const cassandraDb = (client: Client, keyspace: string): CassandraDb => {
  if (!isValidKeyspace(keyspace))
    throw new Error(`keyspace ${JSON.stringify(keyspace)}: expected [a-z][a-z0-9_]{0,47}`);
  return {
    client,
    keyspace,
    t: (table) => `${keyspace}.${table}`,
    read: async (cql, params, consistency = CL.read) => {
      const rs = await client.execute(cql, [...params], { prepare: true, consistency, isIdempotent: true });
      return rs.rows.map(plain);
    },
  };
};

const plain = (r: types.Row): Row => {
  const out: Record<string, unknown> = {};
  for (const k of r.keys()) out[k] = r.get(k) as unknown;
  return out;
};

// bigint columns are bound as decimal strings: the driver accepts them whether the client
// decodes bigint as Long (its default) or as BigInt (`encoding.useBigIntAsLong`).
export const long = (n: number): string => String(n);

/** A bigint (Long, BigInt) or int column as a number; positions and epoch ms fit in 2^53. */
export const num = (v: unknown): number => {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof types.Long) return v.toNumber();
  throw new TypeError(`expected a number, got ${typeof v}`);
};
export const str = (v: unknown): string => {
  if (typeof v === 'string') return v;
  throw new TypeError(`expected a string, got ${typeof v}`);
};
export const optStr = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : str(v));
export const flag = (v: unknown): boolean => v === true;
/** A set or frozen list of text; Cassandra stores an empty collection as null. */
export const strs = (v: unknown): string[] => (Array.isArray(v) ? v.map(str) : []);

/** `types.unset` leaves a column untouched (no tombstone) where the event has no value. */
export const orUnset = <T>(v: T | undefined): T | object => (v === undefined ? types.unset : v);

// Write timestamps: every projection write carries USING TIMESTAMP from the event's log
// position, so replays and redeliveries rewrite cells with the timestamps they already have
// and any order of arrival gives the same cells. `lastWins` lets a later event win (the
// usual case); `firstWins` lets the earliest win (first sighting of a user, a thread's or a
// message's immutable content). Both stay below 2^53, so they survive a JS number.
const CEILING = Number.MAX_SAFE_INTEGER;
export const lastWins = (position: number): string => String(position);
export const firstWins = (position: number): string => String(CEILING - position);
