import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openCassandraKeyStore } from '../../adapters/keystore/cassandra.js';
import { createSqliteKeyStore } from '../../adapters/keystore/sqlite.js';
import { createCassandraClient } from '../../adapters/read-store/cassandra.js';
import { keyStoreContract } from '../contract/keystore.contract.js';
import { needs } from '../infra/needs.js';
import { removeDir, tempDir } from '../e2e/harness.js';
import { compileForNode, REPO } from './fixtures/compile.js';

// The key store contract on both engines: a SQLite file (embedded), and a real Cassandra 5
// (MSGXC_TEST_SERVERS=cassandra), each connection its own client as on separate nodes.
const dir = tempDir('msgxc-keys-');
afterAll(() => {
  removeDir(dir);
});
keyStoreContract('sqlite', () => Promise.resolve(createSqliteKeyStore(join(dir, 'keys.db'))));

// The node's store commits new keys in a writer thread (the fsync off the event loop). Its entry
// is loaded by URL next to the compiled store, so the store is compiled to plain JavaScript.
const buildDir = join(REPO, 'test/.tmp', `keystore-sqlite-${String(process.pid)}`);
let compiled: Promise<typeof createSqliteKeyStore> | undefined;
const threaded = (): Promise<typeof createSqliteKeyStore> => {
  compiled ??= (async () => {
    mkdirSync(buildDir, { recursive: true });
    const out = compileForNode(['adapters/keystore/sqlite.ts', 'adapters/keystore/sqlite-key-writer.ts'], buildDir);
    const m = (await import(pathToFileURL(out('adapters/keystore/sqlite.ts')).href)) as {
      createSqliteKeyStore: typeof createSqliteKeyStore;
    };
    return m.createSqliteKeyStore;
  })();
  return compiled;
};
afterAll(() => {
  rmSync(buildDir, { recursive: true, force: true });
});
keyStoreContract('sqlite (writer thread)', async () =>
  (await threaded())(join(dir, 'keys-thread.db'), { writer: 'thread' }),
);

// SQLite creates the keys asked for in one turn together (one transaction): every owner still
// gets one key, the same for each of its callers, and another connection sees them all.
describe.each(['loop', 'thread'] as const)('sqlite key store (%s writer): keys created together', (writer) => {
  it('gives each of 200 new owners asked for at once one key, the same to every caller', async () => {
    const file = join(dir, `batch-${writer}.db`);
    const keys = writer === 'loop' ? createSqliteKeyStore(file) : (await threaded())(file, { writer });
    const owners = Array.from({ length: 200 }, (_, i) => `owner-${i % 100}`);
    const got = await Promise.all(owners.map((o) => keys.keyFor(o)));
    for (let i = 0; i < 100; i += 1) expect(got[i + 100]?.kid).toBe(got[i]?.kid);
    expect(new Set(got.map((k) => k.kid)).size).toBe(100);
    const other = createSqliteKeyStore(file);
    for (let i = 0; i < 100; i += 1) {
      const k = got[i];
      expect(Buffer.from((await other.find(`owner-${i}`, k?.kid ?? '')) ?? [])).toEqual(Buffer.from(k?.key ?? []));
    }
    await other.close();
    await keys.close();
  });
});

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
