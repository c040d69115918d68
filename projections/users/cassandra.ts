import type { CassandraDb } from '../cassandra-db.js';
import { CL, firstWins, long, num } from '../cassandra-db.js';
import type { CassandraProjection, Mutation } from '../cassandra-projection.js';
import type { Applied } from '../projection.js';
import { addressedUsers } from './projection.js';

// Known users and the first position each was seen at. Written with firstWins timestamps,
// so the earliest sighting stands whatever order events are (re)delivered in, as SQLite's
// MIN merge does. users_by_shard spreads the uids over 16 partitions for userCount().
export const USER_SHARDS = 16;

/** FNV-1a of the uid, mod the shard count: stable across processes and versions. */
export const shardOf = (uid: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < uid.length; i += 1) h = Math.imul(h ^ uid.charCodeAt(i), 0x01000193);
  return (h >>> 0) % USER_SHARDS;
};

export const usersCassandra: CassandraProjection = {
  name: 'users',
  tables: ['users', 'users_by_shard'],
  prepare: (db) => {
    const known = `INSERT INTO ${db.t('users')} (uid, first_position, first_at) VALUES (?, ?, ?) USING TIMESTAMP ?`;
    const sharded = `INSERT INTO ${db.t('users_by_shard')} (shard, uid) VALUES (?, ?) USING TIMESTAMP ?`;
    const seen = (uid: string, at: Applied): Mutation[] => {
      const ts = firstWins(at.position);
      const shard = shardOf(uid);
      return [
        { cql: known, params: [uid, long(at.position), at.occurredAt, ts], partition: `users:${uid}` },
        { cql: sharded, params: [shard, uid, ts], partition: `users_by_shard:${shard}` },
      ];
    };
    return {
      UserRecognized: (e, at) => seen(e.uid, at),
      DeviceEnlisted: (e, at) => seen(e.uid, at),
      MessagePublished: (e, at) => addressedUsers(e.audience).flatMap((uid) => seen(uid, at)),
      AudienceChunk: (e, at) => e.uids.flatMap((uid) => seen(uid, at)),
    };
  },
};

export interface CassandraUserQueries {
  userCount(): Promise<number>;
  /** Position at which `uid` became known, or undefined for a user the broker never saw. */
  firstPosition(uid: string): Promise<number | undefined>;
}

export const cassandraUserQueries = (db: CassandraDb): CassandraUserQueries => {
  const count = `SELECT COUNT(*) AS n FROM ${db.t('users_by_shard')} WHERE shard = ?`;
  const first = `SELECT first_position FROM ${db.t('users')} WHERE uid = ?`;
  const shards = Array.from({ length: USER_SHARDS }, (_, i) => i);
  return {
    // O(users): each shard is counted where it lives, in parallel. A metric, hence LOCAL_ONE.
    userCount: async () => {
      const counts = await Promise.all(shards.map(async (s) => num((await db.read(count, [s], CL.metric))[0]?.n ?? 0)));
      return counts.reduce((a, b) => a + b, 0);
    },
    firstPosition: async (uid) => {
      const [r] = await db.read(first, [uid]);
      return r === undefined ? undefined : num(r.first_position);
    },
  };
};
