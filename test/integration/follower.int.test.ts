import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as ElasticClient } from '@elastic/elasticsearch';
import BetterSqlite3 from 'better-sqlite3';
import { connect } from 'nats';
import { createCassandraCheckpoints } from '../../adapters/checkpoint/cassandra.js';
import { CHECKPOINT_FIELDS, createElasticCheckpoints } from '../../adapters/checkpoint/elastic.js';
import { createMemoryCheckpoints } from '../../adapters/checkpoint/memory.js';
import { createSqliteCheckpoints } from '../../adapters/checkpoint/sqlite.js';
import { createMemoryEventStore } from '../../adapters/eventstore/memory.js';
import { openJetStreamEventStore } from '../../adapters/eventstore/jetstream.js';
import { createSqliteEventStore } from '../../adapters/eventstore/sqlite.js';
import { createCassandraClient } from '../../adapters/read-store/cassandra.js';
import type { EventStore } from '../../ports/eventstore.js';
import { followerContract } from '../contract/follower.contract.js';
import type { FollowerEngines } from '../contract/follower.contract.js';
import { needs } from '../infra/needs.js';
import { natsSingleTargets } from '../infra/nats-targets.js';

// The log follower's contract on every log engine and every checkpoint engine: the embedded
// pair (SQLite log, SQLite checkpoints) always; JetStream, Cassandra and Elasticsearch when
// MSGXC_TEST_SERVERS starts them. Each varies one engine against the embedded other.

const id = (): string => randomBytes(6).toString('hex');
type Log = Awaited<ReturnType<FollowerEngines['log']>>;
type Checkpoints = Awaited<ReturnType<FollowerEngines['checkpoints']>>;

const memoryLog = (): Promise<Log> =>
  Promise.resolve({ store: createMemoryEventStore(), cleanup: () => Promise.resolve() });

const sqliteLog = (): Promise<Log> => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-follower-log-'));
  const store = createSqliteEventStore({ file: join(dir, 'events.db') });
  return Promise.resolve({
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
};

const sqliteCheckpoints = (): Promise<Checkpoints> => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-follower-cp-'));
  const dbs: BetterSqlite3.Database[] = [];
  const open = () => {
    const db = new BetterSqlite3(join(dir, 'read.db'));
    dbs.push(db);
    return createSqliteCheckpoints(db);
  };
  return Promise.resolve({
    store: open(),
    reopen: () => Promise.resolve(open()),
    cleanup: () => {
      for (const db of dbs) db.close();
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  });
};

followerContract('memory log, memory checkpoints', {
  log: memoryLog,
  checkpoints: () => {
    const store = createMemoryCheckpoints();
    return Promise.resolve({ store, reopen: () => Promise.resolve(store), cleanup: () => Promise.resolve() });
  },
});

followerContract('SQLite log, SQLite checkpoints (embedded)', { log: sqliteLog, checkpoints: sqliteCheckpoints });

for (const t of natsSingleTargets())
  needs(t.urlVar, `nats-server ${t.label}`, (url) => {
    followerContract(`JetStream ${t.label} log, SQLite checkpoints`, {
      log: async () => {
        const names = { streamName: `MSGXC_F_${id()}`, subjectPrefix: `f${id()}` };
        const store: EventStore & { close(): Promise<void> } = await openJetStreamEventStore({
          servers: url,
          replicas: 1,
          ...names,
        });
        return {
          store,
          cleanup: async () => {
            await store.close();
            const nc = await connect({ servers: url });
            await nc.request(`$JS.API.STREAM.DELETE.${names.streamName}`, undefined, { timeout: 10_000 });
            await nc.close();
          },
        };
      },
      checkpoints: sqliteCheckpoints,
    });
  });

needs('MSGXC_TEST_CASSANDRA_PORT', 'Cassandra', (port) => {
  followerContract('SQLite log, Cassandra checkpoints', {
    log: sqliteLog,
    checkpoints: async () => {
      const client = createCassandraClient({
        contactPoints: [`${process.env.MSGXC_TEST_CASSANDRA_CONTACT_POINT ?? '127.0.0.1'}:${port}`],
        localDataCenter: process.env.MSGXC_TEST_CASSANDRA_DC ?? 'datacenter1',
      });
      const ks = `msgxc_f_${id()}`;
      await client.execute(
        `CREATE KEYSPACE ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
        [],
        { readTimeout: 60_000 },
      );
      return {
        store: await createCassandraCheckpoints(client, ks),
        reopen: () => createCassandraCheckpoints(client, ks),
        cleanup: async () => {
          await client.execute(`DROP KEYSPACE IF EXISTS ${ks}`, [], { readTimeout: 60_000 });
          await client.shutdown();
        },
      };
    },
  });
});

needs('MSGXC_TEST_ELASTIC_URL', 'Elasticsearch', (url) => {
  followerContract('memory log, Elasticsearch checkpoints', {
    log: memoryLog,
    checkpoints: async () => {
      const client = new ElasticClient({ node: url });
      const index = `msgxc-test-checkpoints-${id()}`;
      await client.indices.create({ index, mappings: { properties: CHECKPOINT_FIELDS } });
      return {
        store: createElasticCheckpoints(client, index),
        reopen: () => Promise.resolve(createElasticCheckpoints(client, index)),
        cleanup: async () => {
          await client.indices.delete({ index }, { ignore: [404] });
          await client.close();
        },
      };
    },
  });
});
