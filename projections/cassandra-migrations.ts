import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { types } from 'cassandra-driver';
import type { Client } from 'cassandra-driver';
import { parseCql, qualify } from './cassandra-cql.js';

// Versioned schema migrations for the Cassandra read store: schema/cassandra/NNN_name.cql,
// applied in version order, each recorded in <keyspace>.schema_migrations with a checksum of
// its text. Applying is idempotent: applied versions are skipped, and every statement is
// itself IF NOT EXISTS, so a migration interrupted half-way is simply run again. Brokers
// starting together serialize through a lightweight-transaction lease in
// <keyspace>.schema_migrations_lock: concurrent schema changes to one table can disagree.

export interface MigrationFile {
  readonly file: string;
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
  readonly checksum: string;
}

/** `{ class: 'NetworkTopologyStrategy', dc1: 3 }` or `{ class: 'SimpleStrategy', replication_factor: 1 }`. */
export type Replication = Readonly<Record<string, string | number>>;

export interface MigrationOptions {
  readonly client: Client;
  readonly keyspace: string;
  /** Used only when the keyspace does not exist yet (an existing one is never altered). */
  readonly replication: Replication;
  /** Folder of NNN_name.cql files (default: the repository's schema/cassandra). */
  readonly dir?: string;
  /** How long to wait for another node's migration lease (default 60 s). */
  readonly lockWaitMs?: number;
}

export interface MigrationReport {
  readonly applied: readonly number[];
  readonly alreadyApplied: readonly number[];
}

const FILE = /^(\d{3,})_([a-z0-9_]+)\.cql$/;

/** schema/cassandra from this module, whether it runs from source or from dist/. */
export const defaultMigrationsDir = (): string => {
  const candidates = ['../schema/cassandra', '../../schema/cassandra'].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  const found = candidates.find((d) => existsSync(d) && readdirSync(d).some((f) => FILE.test(f)));
  if (found === undefined) throw new Error(`no Cassandra migrations found in ${candidates.join(' or ')}`);
  return found;
};

export const loadMigrations = (dir: string = defaultMigrationsDir()): MigrationFile[] =>
  readdirSync(dir)
    .flatMap((f) => {
      const m = FILE.exec(f);
      if (m?.[1] === undefined || m[2] === undefined) return [];
      const text = readFileSync(join(dir, f), 'utf8');
      return [
        {
          file: f,
          version: Number(m[1]),
          name: m[2],
          statements: parseCql(text),
          checksum: createHash('sha256').update(text).digest('hex'),
        },
      ];
    })
    .sort((a, b) => a.version - b.version);

const replicationCql = (r: Replication): string => {
  const entries = Object.entries(r).map(([k, v]) => {
    if (!/^[A-Za-z0-9_.]+$/.test(k) || !/^[A-Za-z0-9_.]+$/.test(String(v)))
      throw new Error(`replication: bad entry ${k}=${String(v)}`);
    return `'${k}': ${typeof v === 'number' ? String(v) : `'${v}'`}`;
  });
  return `{${entries.join(', ')}}`;
};

// The bookkeeping reads and writes are idempotent (the client retries them on a timeout); the
// lease below is a lightweight transaction, and is checked by its owner instead.
const write = { prepare: true, consistency: types.consistencies.localQuorum, isIdempotent: true } as const;
const lease = { prepare: true, consistency: types.consistencies.localQuorum } as const;
// Schema statements run once: preparing them would only fill the server's statement cache.
const ddl = { prepare: false, readTimeout: 60_000 } as const;

export const applyCassandraMigrations = async (o: MigrationOptions): Promise<MigrationReport> => {
  const { client, keyspace: ks } = o;
  const migrations = loadMigrations(o.dir);
  await client.execute(
    `CREATE KEYSPACE IF NOT EXISTS ${ks} WITH replication = ${replicationCql(o.replication)}`,
    [],
    ddl,
  );
  await client.execute(
    `CREATE TABLE IF NOT EXISTS ${ks}.schema_migrations (version int PRIMARY KEY, name text, checksum text, applied_at timestamp)`,
    [],
    ddl,
  );
  await client.execute(
    `CREATE TABLE IF NOT EXISTS ${ks}.schema_migrations_lock (id text PRIMARY KEY, owner text)`,
    [],
    ddl,
  );
  const owner = randomUUID();
  await acquire(client, ks, owner, o.lockWaitMs ?? 60_000);
  try {
    const rows = (await client.execute(`SELECT version, checksum FROM ${ks}.schema_migrations`, [], write)).rows;
    const done = new Map(rows.map((r) => [Number(r.get('version')), String(r.get('checksum'))]));
    const applied: number[] = [];
    for (const m of migrations) {
      const sum = done.get(m.version);
      if (sum !== undefined) {
        if (sum !== m.checksum)
          throw new Error(
            `Cassandra migration ${m.file} was changed after it was applied to ${ks}; add a new migration instead`,
          );
        continue;
      }
      // The driver waits for schema agreement after each DDL statement before the next one.
      for (const s of m.statements) await client.execute(qualify(s, ks), [], ddl);
      await client.execute(
        `INSERT INTO ${ks}.schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)`,
        [m.version, m.name, m.checksum, new Date()],
        write,
      );
      applied.push(m.version);
    }
    return { applied, alreadyApplied: [...done.keys()].sort((a, b) => a - b) };
  } finally {
    await client.execute(
      `DELETE FROM ${ks}.schema_migrations_lock WHERE id = 'migrations' IF owner = ?`,
      [owner],
      lease,
    );
  }
};

// A lease, not a lock held forever: the TTL frees it if its holder dies mid-migration.
const acquire = async (client: Client, ks: string, owner: string, waitMs: number): Promise<void> => {
  const deadline = Date.now() + waitMs;
  for (;;) {
    let rs;
    try {
      rs = await client.execute(
        `INSERT INTO ${ks}.schema_migrations_lock (id, owner) VALUES ('migrations', ?) IF NOT EXISTS USING TTL 120`,
        [owner],
        lease,
      );
    } catch (e) {
      // A timed-out claim may have been applied: the next look finds this owner (below).
      if (Date.now() > deadline) throw e;
      await sleep(250);
      continue;
    }
    // Not applied, but held by this owner: an earlier try that timed out had taken it.
    if (rs.wasApplied() || rs.first().get('owner') === owner) return;
    if (Date.now() > deadline)
      throw new Error(`Cassandra migrations of ${ks}: another node has held the migration lease for over ${waitMs} ms`);
    await sleep(250);
  }
};
