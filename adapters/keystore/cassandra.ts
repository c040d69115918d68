import { randomBytes } from 'node:crypto';
import { types } from 'cassandra-driver';
import type { Client } from 'cassandra-driver';
import type { DataKey, KeyStore } from '../../ports/keystore.js';

// Data keys in Cassandra (production), in a keyspace of their own (`<keyspace>_keys`), apart
// from the read models' generations, which a rebuild empties and drops. One partition per
// owner; two nodes racing for an owner's first key may both create one: both are kept and
// both open what they sealed (a field names its key), later reads agree on the first by kid.
// A destroy deletes the partition: Cassandra keeps a tombstone and the
// bytes stay in SSTables until compaction after gc_grace_seconds (set to one hour here); a
// snapshot or backup taken before holds them for as long as it is kept (docs/gdpr.md).

const KEYSPACE = /^[a-z][a-z0-9_]{0,47}$/;
const WRITE = { prepare: true, consistency: types.consistencies.localQuorum } as const;
const READ = { prepare: true, consistency: types.consistencies.localQuorum, isIdempotent: true } as const;
const DDL = { prepare: false, readTimeout: 60_000 } as const;

export interface CassandraKeyStoreOptions {
  readonly client: Client;
  /** The keys' own keyspace. */
  readonly keyspace: string;
  readonly replication: Readonly<Record<string, string | number>>;
  /** Shut the client down on close (it was made for the key store). */
  readonly ownsClient?: boolean;
}

const bytes = (v: unknown): Uint8Array => {
  if (v instanceof Uint8Array) return new Uint8Array(v);
  throw new TypeError('data key: expected a blob');
};

// The keyspace and table are created in the background: a node's start does not wait for two
// more schema changes (the read models' migrations run meanwhile); the first use waits for them.
const ensure = async (o: CassandraKeyStoreOptions): Promise<void> => {
  const ks = o.keyspace;
  await o.client.connect();
  const replication = JSON.stringify(o.replication).replaceAll('"', "'");
  await o.client.execute(`CREATE KEYSPACE IF NOT EXISTS ${ks} WITH replication = ${replication}`, [], DDL);
  await o.client.execute(
    `CREATE TABLE IF NOT EXISTS ${ks}.data_keys (owner text, kid text, key blob, created_at timestamp,
       PRIMARY KEY ((owner), kid)) WITH gc_grace_seconds = 3600`,
    [],
    DDL,
  );
};

export const openCassandraKeyStore = (o: CassandraKeyStoreOptions): KeyStore => {
  const ks = o.keyspace;
  if (!KEYSPACE.test(ks)) throw new Error(`keyspace ${JSON.stringify(ks)}: expected [a-z][a-z0-9_]{0,47}`);
  let ready: Promise<void> | undefined;
  // A failed creation is tried again by the next use, not remembered.
  const prepared = (): Promise<void> => {
    ready ??= ensure(o).catch((e: unknown) => {
      ready = undefined;
      throw e;
    });
    return ready;
  };
  void prepared().catch(() => undefined);
  const current = async (owner: string): Promise<DataKey | undefined> => {
    await prepared();
    const rs = await o.client.execute(`SELECT kid, key FROM ${ks}.data_keys WHERE owner = ? LIMIT 1`, [owner], READ);
    const row = rs.first() as types.Row | null;
    return row === null ? undefined : { kid: String(row.get('kid')), key: bytes(row.get('key')) };
  };
  return {
    keyFor: async (owner) => {
      const there = await current(owner);
      if (there !== undefined) return there;
      const made = { kid: randomBytes(12).toString('base64url'), key: randomBytes(32) };
      await o.client.execute(
        `INSERT INTO ${ks}.data_keys (owner, kid, key, created_at) VALUES (?, ?, ?, ?)`,
        [owner, made.kid, made.key, new Date()],
        WRITE,
      );
      return { kid: made.kid, key: new Uint8Array(made.key) };
    },
    find: async (owner, kid) => {
      await prepared();
      const rs = await o.client.execute(
        `SELECT key FROM ${ks}.data_keys WHERE owner = ? AND kid = ?`,
        [owner, kid],
        READ,
      );
      const row = rs.first() as types.Row | null;
      return row === null ? undefined : bytes(row.get('key'));
    },
    destroy: async (owner) => {
      await prepared();
      const rs = await o.client.execute(`SELECT kid FROM ${ks}.data_keys WHERE owner = ?`, [owner], READ);
      if (rs.rowLength === 0) return 0;
      await o.client.execute(`DELETE FROM ${ks}.data_keys WHERE owner = ?`, [owner], WRITE);
      return rs.rowLength;
    },
    close: async () => {
      await ready?.catch(() => undefined);
      if (o.ownsClient === true) await o.client.shutdown();
    },
  };
};
