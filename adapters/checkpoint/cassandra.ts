import { types } from 'cassandra-driver';
import type { Client } from 'cassandra-driver';
import type { CheckpointStore, DeadLetter, Progress } from '../../ports/follower.js';

// The follower's checkpoints and dead letters in a Cassandra keyspace: the same two tables as
// on SQLite, created here (IF NOT EXISTS) so any keyspace a follower writes to can hold them.
// Positions are stored after the batch's writes succeeded (at-least-once; every projection
// write is idempotent by natural key). The read models' keyspaces from before this table
// kept their position in `projection_checkpoints`: it is adopted once, for names not yet here.

const KEYSPACE = /^[a-z][a-z0-9_]{0,47}$/;
const WRITE = { prepare: true, consistency: types.consistencies.localQuorum, isIdempotent: true } as const;
const READ = { prepare: true, consistency: types.consistencies.localQuorum } as const;
const DDL = { prepare: false, readTimeout: 60_000 } as const;
/** At most this many dead letters are listed (they are rare: the write side refuses what the read side cannot decode). */
const DEAD_LETTERS_MAX = 10_000;
const LIST = { ...READ, fetchSize: DEAD_LETTERS_MAX } as const;

const num = (v: unknown): number =>
  v instanceof types.Long ? v.toNumber() : typeof v === 'bigint' ? Number(v) : Number(v ?? 0);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

const adoptLegacy = async (client: Client, ks: string): Promise<void> => {
  const legacy = await client.execute(
    'SELECT table_name FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?',
    [ks, 'projection_checkpoints'],
    READ,
  );
  if (legacy.rowLength === 0) return;
  const rows = (await client.execute(`SELECT name, position FROM ${ks}.projection_checkpoints`, [], READ)).rows;
  for (const r of rows) {
    const name = str(r.get('name'));
    const there = await client.execute(`SELECT position FROM ${ks}.follower_checkpoints WHERE name = ?`, [name], READ);
    if (there.rowLength === 0)
      await client.execute(
        `INSERT INTO ${ks}.follower_checkpoints (name, position) VALUES (?, ?)`,
        [name, String(num(r.get('position')))],
        WRITE,
      );
  }
};

export const ensureCassandraCheckpoints = async (client: Client, ks: string): Promise<void> => {
  if (!KEYSPACE.test(ks)) throw new Error(`keyspace ${JSON.stringify(ks)}: expected [a-z][a-z0-9_]{0,47}`);
  await client.execute(
    `CREATE TABLE IF NOT EXISTS ${ks}.follower_checkpoints (name text PRIMARY KEY, position bigint)`,
    [],
    DDL,
  );
  await client.execute(
    `CREATE TABLE IF NOT EXISTS ${ks}.follower_dead_letters (
       follower text, position bigint, stream text, type text, reason text, at text,
       PRIMARY KEY ((follower), position))`,
    [],
    DDL,
  );
  await adoptLegacy(client, ks);
};

const row = (r: types.Row): DeadLetter => ({
  follower: str(r.get('follower')),
  position: num(r.get('position')),
  stream: str(r.get('stream')),
  type: str(r.get('type')),
  reason: str(r.get('reason')),
  at: str(r.get('at')),
});

/** Creates the tables if needed (a schema change: once per keyspace at start-up, not per batch). */
export const createCassandraCheckpoints = async (client: Client, ks: string): Promise<CheckpointStore> => {
  await ensureCassandraCheckpoints(client, ks);
  const write = async (name: string, position: number): Promise<void> => {
    // A normal (current) write timestamp, not one from a position: moving a checkpoint back must win.
    await client.execute(
      `INSERT INTO ${ks}.follower_checkpoints (name, position) VALUES (?, ?)`,
      [name, String(position)],
      WRITE,
    );
  };
  const save = async (name: string, p: Progress): Promise<void> => {
    // Dead letters first: a position stored without them would hide them for good.
    for (const d of p.deadLetters)
      await client.execute(
        `INSERT INTO ${ks}.follower_dead_letters (follower, position, stream, type, reason, at) VALUES (?, ?, ?, ?, ?, ?)`,
        [d.follower, String(d.position), d.stream, d.type, d.reason, d.at],
        WRITE,
      );
    await write(name, p.position);
  };
  return {
    read: async (name) => {
      const rs = await client.execute(`SELECT position FROM ${ks}.follower_checkpoints WHERE name = ?`, [name], READ);
      return rs.rowLength === 0 ? 0 : num(rs.first().get('position'));
    },
    commit: async (name, work) => {
      const r = await work();
      await save(name, r);
      return r;
    },
    write,
    deadLetters: async (follower) => {
      const rs =
        follower === undefined
          ? await client.execute(`SELECT * FROM ${ks}.follower_dead_letters LIMIT ${DEAD_LETTERS_MAX}`, [], LIST)
          : await client.execute(
              `SELECT * FROM ${ks}.follower_dead_letters WHERE follower = ? LIMIT ${DEAD_LETTERS_MAX}`,
              [follower],
              LIST,
            );
      return rs.rows.map(row).sort((a, b) => a.follower.localeCompare(b.follower) || a.position - b.position);
    },
  };
};
