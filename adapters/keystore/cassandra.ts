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

// Owners per read and per write batch: 32 rows of about 100 bytes stay under Cassandra's
// batch_size_warn_threshold (5 KiB); a wave's chunks go out concurrently. The batch spans
// partitions (Cassandra logs a warning above unlogged_batch_across_partitions_warn_threshold,
// 10): measured 1.7x the keys/s of one concurrent INSERT per owner on one node (BENCHMARKS.md);
// on a multi-node cluster the coordinator forwards it, which token-aware single writes avoid.
const CHUNK = 32;
// Waves of asks out at once: while both are out, new asks gather for the next wave (group
// commit), so under load a wave carries many owners instead of the one or two of a turn.
const WAVES = 2;

interface Ask {
  readonly owner: string;
  readonly resolve: (k: DataKey) => void;
  readonly reject: (e: unknown) => void;
}

// One chunk: the owners' current keys in one read (the first by kid, as a single-owner read
// answers), then the missing ones created in one write. Owners are distinct within a chunk.
const answer = async (o: CassandraKeyStoreOptions, asks: readonly Ask[]): Promise<(DataKey | undefined)[]> => {
  const ks = o.keyspace;
  const rs = await o.client.execute(
    `SELECT owner, kid, key FROM ${ks}.data_keys WHERE owner IN ? PER PARTITION LIMIT 1`,
    [asks.map((a) => a.owner)],
    READ,
  );
  const found = new Map<string, DataKey>();
  for (const row of rs.rows)
    found.set(String(row.get('owner')), { kid: String(row.get('kid')), key: bytes(row.get('key')) });
  const made = asks
    .filter((a) => !found.has(a.owner))
    .map((a) => ({ owner: a.owner, kid: randomBytes(12).toString('base64url'), key: randomBytes(32) }));
  const insert = `INSERT INTO ${ks}.data_keys (owner, kid, key, created_at) VALUES (?, ?, ?, ?)`;
  const now = new Date();
  const [first] = made;
  if (made.length === 1 && first !== undefined)
    await o.client.execute(insert, [first.owner, first.kid, first.key, now], WRITE);
  else if (made.length > 1)
    await o.client.batch(
      made.map((m) => ({ query: insert, params: [m.owner, m.kid, m.key, now] })),
      { ...WRITE, logged: false },
    );
  for (const m of made) found.set(m.owner, { kid: m.kid, key: new Uint8Array(m.key) });
  return asks.map((a) => found.get(a.owner));
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
  // Keys are asked for in batches: every owner asked for in one turn of the event loop is read in
  // one statement per chunk (a multi-partition IN, at LOCAL_QUORUM), and the keys still missing
  // are written in one unlogged batch per chunk (at LOCAL_QUORUM: Cassandra answers an unlogged
  // batch once each of its mutations reached that consistency), so a burst of first contacts
  // costs two round trips per chunk, not two per person (and while WAVES are out, asks gather
  // for the next). No caller gets a key before its write is
  // acknowledged; a failed chunk fails its callers (a key it wrote anyway is kept and readable,
  // as a racing node's). An owner asked for again while its chunk is out joins that answer.
  const asked = new Map<string, Promise<DataKey>>();
  let queue: Ask[] = [];
  const out = new Set<Promise<void>>();
  let waves = 0;
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (queue.length === 0 || waves >= WAVES) return;
    const all = queue;
    queue = [];
    const wave: Promise<void>[] = [];
    for (let i = 0; i < all.length; i += CHUNK) {
      const chunk = all.slice(i, i + CHUNK);
      const done = answer(o, chunk).then(
        (keys) => {
          chunk.forEach((a, j) => {
            const k = keys[j];
            if (k === undefined) a.reject(new Error(`data key: no answer for ${a.owner}`));
            else a.resolve(k);
          });
        },
        (e: unknown) => {
          for (const a of chunk) a.reject(e);
        },
      );
      out.add(done);
      wave.push(done);
      void done.finally(() => out.delete(done));
    }
    waves += 1;
    void Promise.allSettled(wave).then(() => {
      waves -= 1;
      flush();
    });
  };
  return {
    keyFor: (owner) => {
      const joined = asked.get(owner);
      if (joined !== undefined) return joined;
      const p = prepared().then(
        () =>
          new Promise<DataKey>((resolve, reject) => {
            queue.push({ owner, resolve, reject });
            if (!scheduled && waves < WAVES) {
              scheduled = true;
              setImmediate(flush);
            }
          }),
      );
      asked.set(owner, p);
      const settled = (): void => {
        if (asked.get(owner) === p) asked.delete(owner);
      };
      p.then(settled, settled);
      return p;
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
      // A key asked for before the erasure is not handed to a later ask: that one reads again.
      asked.delete(owner);
      await prepared();
      const rs = await o.client.execute(`SELECT kid FROM ${ks}.data_keys WHERE owner = ?`, [owner], READ);
      if (rs.rowLength === 0) return 0;
      await o.client.execute(`DELETE FROM ${ks}.data_keys WHERE owner = ?`, [owner], WRITE);
      return rs.rowLength;
    },
    close: async () => {
      flush();
      while (out.size > 0) await Promise.allSettled([...out]);
      await ready?.catch(() => undefined);
      if (o.ownsClient === true) await o.client.shutdown();
    },
  };
};
