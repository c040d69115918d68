import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from 'cassandra-driver';
import type { CheckpointStore, Generation, Generations } from '../ports/follower.js';
import { CL, cassandraDb, isValidKeyspace } from './cassandra-db.js';
import type { CassandraDb } from './cassandra-db.js';
import { applyCassandraMigrations } from './cassandra-migrations.js';
import type { Replication } from './cassandra-migrations.js';
import { cassandraReadModelTables } from './cassandra-tables.js';

// Generations of the Cassandra read models as keyspaces: the configured keyspace is the first,
// later ones `<keyspace>_g<N>`, each created by the same migrations. The live one is named in
// `<keyspace>.follower_generations`, which every node reads: a node that sees it change follows
// the new keyspace (follower/projection.ts polls `stored()`), so the previous one is dropped
// only after a grace period. The first keyspace keeps the pointer and is emptied, not dropped.

export interface CassandraGenerationsOptions {
  readonly client: Client;
  /** The configured keyspace: the first generation, and where the pointer lives. */
  readonly keyspace: string;
  /** For the keyspaces of later generations. */
  readonly replication: Replication;
  /** The projection the pointer row is for. */
  readonly name: string;
  /** The checkpoint store of a keyspace (adapters/checkpoint/cassandra.ts). */
  readonly checkpoints: (client: Client, keyspace: string) => Promise<CheckpointStore>;
  readonly migrationsDir?: string;
  /** Readers switch to the keyspace that went live. */
  readonly onLive?: (db: CassandraDb) => void;
  /** How long other nodes get to switch before the previous keyspace is dropped (default 5000 ms). */
  readonly graceMs?: number;
  readonly log?: { error(obj: object, msg: string): void };
}

const DDL = { prepare: false, readTimeout: 120_000 } as const;
const IO = { prepare: true, consistency: CL.write } as const;

export const cassandraGenerations = (o: CassandraGenerationsOptions): Generations<CassandraDb> => {
  const { client, keyspace: base, name } = o;
  const pointer = `${base}.follower_generations`;
  let current: Generation<CassandraDb> | undefined;
  let ready: Promise<void> | undefined;
  const ensure = (): Promise<void> =>
    (ready ??= client
      .execute(`CREATE TABLE IF NOT EXISTS ${pointer} (name text PRIMARY KEY, live text)`, [], DDL)
      .then(() => undefined));
  const open = async (ks: string): Promise<Generation<CassandraDb>> => ({
    id: ks,
    store: cassandraDb(client, ks),
    checkpoints: await o.checkpoints(client, ks),
  });
  const stored = async (): Promise<string> => {
    await ensure();
    const rs = await client.execute(`SELECT live FROM ${pointer} WHERE name = ?`, [name], IO);
    const ks = rs.rowLength === 0 ? undefined : (rs.first().get('live') as unknown);
    return typeof ks === 'string' && isValidKeyspace(ks) ? ks : base;
  };
  const generationsThere = async (): Promise<number[]> => {
    const rs = await client.execute('SELECT keyspace_name FROM system_schema.keyspaces', [], { prepare: true });
    const re = new RegExp(`^${base}_g(\\d{1,6})$`);
    return rs.rows.flatMap((r) => {
      const m = re.exec(String(r.get('keyspace_name')));
      return m?.[1] === undefined ? [] : [Number(m[1])];
    });
  };
  const drop = async (g: Generation<CassandraDb>): Promise<void> => {
    if (g.id === base) {
      // The first keyspace holds the pointer and the migrations: emptied, not dropped.
      for (const t of [...cassandraReadModelTables, 'follower_checkpoints', 'follower_dead_letters'])
        await client.execute(`TRUNCATE ${base}.${t}`, [], DDL);
      return;
    }
    await client.execute(`DROP KEYSPACE IF EXISTS ${g.id}`, [], DDL);
  };
  return {
    stored,
    live: async () => {
      const ks = await stored();
      if (current?.id !== ks) {
        current = await open(ks);
        o.onLive?.(current.store);
      }
      return current;
    },
    create: async () => {
      const n = Math.max(0, ...(await generationsThere())) + 1;
      const ks = `${base}_g${n}`;
      if (!isValidKeyspace(ks))
        throw new Error(`keyspace ${base} is too long for generation keyspaces (${ks}: at most 48 characters)`);
      await applyCassandraMigrations({
        client,
        keyspace: ks,
        replication: o.replication,
        ...(o.migrationsDir === undefined ? {} : { dir: o.migrationsDir }),
      });
      return open(ks);
    },
    promote: async (next) => {
      const previous = current;
      await client.execute(`INSERT INTO ${pointer} (name, live) VALUES (?, ?)`, [name, next.id], IO);
      current = next;
      o.onLive?.(next.store);
      if (previous === undefined || previous.id === next.id) return;
      try {
        await sleep(o.graceMs ?? 5_000);
        await drop(previous);
      } catch (e) {
        o.log?.error(
          { err: e instanceof Error ? e.message : String(e), keyspace: previous.id },
          'cannot drop a generation',
        );
      }
    },
    discard: async (g) => {
      if (g.id !== base && g.id !== current?.id) await drop(g);
    },
  };
};
