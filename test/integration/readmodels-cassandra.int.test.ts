import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { Client } from 'cassandra-driver';
import { openCassandraReadStore } from '../../app/read-stores.js';
import type { CassandraReadStore } from '../../app/read-stores.js';
import { cassandraRowCounts } from '../../projections/cassandra-checksum.js';
import { CASSANDRA_READ_MODELS } from '../../projections/cassandra.js';
import { createCassandraClient } from '../../adapters/read-store/cassandra.js';
import { cassandraReadModelTables } from '../../projections/cassandra-tables.js';
import { createMemoryEventStore } from '../../adapters/eventstore/memory.js';
import { shardOf } from '../../projections/users/cassandra.js';
import { readModelsContract } from '../contract/readmodels.contract.js';
import { needs } from '../infra/needs.js';
import { dropGenerationKeyspaces } from './cassandra-generations.js';

// The read-model contract on a real Cassandra 5 (test/infra starts it when MSGXC_TEST_SERVERS
// names cassandra). One keyspace for this file, migrated once and dropped at the end (with the
// keyspaces rebuilds made beside it); each test starts from truncated tables and the first
// keyspace live, which is much faster than a keyspace per test.

needs('MSGXC_TEST_CASSANDRA_PORT', 'Cassandra', (port) => {
  const keyspace = `msgxc_test_${randomBytes(6).toString('hex')}`;
  const dc = process.env.MSGXC_TEST_CASSANDRA_DC ?? 'datacenter1';
  const contactPoints = [`${process.env.MSGXC_TEST_CASSANDRA_CONTACT_POINT ?? '127.0.0.1'}:${port}`];
  let client: Client;

  beforeAll(async () => {
    client = createCassandraClient({ contactPoints, localDataCenter: dc });
    // The store's own start-up path: connect, create the keyspace, apply the migrations.
    const first = await openCassandraReadStore({
      client,
      keyspace,
      localDataCenter: dc,
      store: createMemoryEventStore(),
    });
    await first.close();
  });
  afterAll(async () => {
    await dropGenerationKeyspaces(client, keyspace);
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`, [], { readTimeout: 60_000 });
    await client.shutdown();
  });

  readModelsContract('cassandra', async ({ store, clock, pageSize }) => {
    for (const t of [
      ...cassandraReadModelTables,
      'follower_checkpoints',
      'follower_dead_letters',
      'follower_generations',
    ])
      await client.execute(`TRUNCATE ${keyspace}.${t}`);
    const opened: CassandraReadStore[] = [];
    const open = async () => {
      const read = await openCassandraReadStore({
        client,
        keyspace,
        localDataCenter: dc,
        store,
        clock,
        graceMs: 0,
        pageSize,
      });
      opened.push(read);
      return read;
    };
    const read = await open();
    return {
      models: read.models,
      runner: read.runner,
      runnerName: CASSANDRA_READ_MODELS,
      // messages, broadcasts, and broadcast_buckets (the first broadcast of its month).
      rowsPerBroadcast: 3,
      checksum: () => read.checksum(),
      rowCount: async () => Object.values(await cassandraRowCounts(read.db)).reduce((a, b) => a + b, 0),
      // Written at timestamp 2^53, above every position-derived one the runner writes (they stay
      // below 2^53): a replay over them without truncating could never overwrite them.
      plantStale: async () => {
        const ts = 'USING TIMESTAMP 9007199254740992';
        const { db } = read;
        await client.execute(
          `INSERT INTO ${db.t('users')} (uid, first_position, first_at) VALUES ('ghost', 1, 'no event wrote this') ${ts}`,
        );
        await client.execute(
          `INSERT INTO ${db.t('users_by_shard')} (shard, uid) VALUES (?, 'ghost') ${ts}`,
          [shardOf('ghost')],
          { prepare: true },
        );
        await client.execute(
          `UPDATE ${db.t('users')} ${ts} SET first_position = 999999, first_at = 'corrupted' WHERE uid = 'ann'`,
        );
        await client.execute(`DELETE FROM ${db.t('threads')} ${ts} WHERE tid = 't1'`);
      },
      setCheckpoint: async (position) => {
        await read.runner.live()?.checkpoints.write(CASSANDRA_READ_MODELS, position);
      },
      newRunner: async () => (await open()).runner,
      cleanup: async () => {
        for (const r of opened) await r.close();
      },
    };
  });
});
