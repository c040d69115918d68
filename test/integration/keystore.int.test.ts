import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openCassandraKeyStore } from '../../adapters/keystore/cassandra.js';
import { createSqliteKeyStore } from '../../adapters/keystore/sqlite.js';
import { createCassandraClient } from '../../adapters/read-store/cassandra.js';
import { keyStoreContract } from '../contract/keystore.contract.js';
import { needs } from '../infra/needs.js';
import { removeDir, tempDir } from '../e2e/harness.js';

// The key store contract on both engines: a SQLite file (embedded), and a real Cassandra 5
// (MSGXC_TEST_SERVERS=cassandra), each connection its own client as on separate nodes.
const dir = tempDir('msgxc-keys-');
afterAll(() => {
  removeDir(dir);
});
keyStoreContract('sqlite', () => Promise.resolve(createSqliteKeyStore(join(dir, 'keys.db'))));

needs('MSGXC_TEST_CASSANDRA_PORT', 'Cassandra', (port) => {
  const keyspace = `msgxc_keys_${randomBytes(6).toString('hex')}`;
  const dc = process.env.MSGXC_TEST_CASSANDRA_DC ?? 'datacenter1';
  const contactPoints = [`${process.env.MSGXC_TEST_CASSANDRA_CONTACT_POINT ?? '127.0.0.1'}:${port}`];
  afterAll(async () => {
    const client = createCassandraClient({ contactPoints, localDataCenter: dc });
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`, [], { readTimeout: 60_000 });
    await client.shutdown();
  });
  keyStoreContract('cassandra', () =>
    Promise.resolve(
      openCassandraKeyStore({
        client: createCassandraClient({ contactPoints, localDataCenter: dc }),
        keyspace,
        replication: { class: 'SimpleStrategy', replication_factor: 1 },
        ownsClient: true,
      }),
    ),
  );
});
