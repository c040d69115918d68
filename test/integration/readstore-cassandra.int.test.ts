import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, appendFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Client } from 'cassandra-driver';
import { createMemoryEventStore } from '../../adapters/eventstore/memory.js';
import { applyCassandraMigrations, defaultMigrationsDir } from '../../projections/cassandra-migrations.js';
import { openCassandraReadStore, openEmbeddedReadStore } from '../../app/read-stores.js';
import { ensureCassandraCheckpoints } from '../../adapters/checkpoint/cassandra.js';
import { decodeBatch } from '../../follower/decode.js';
import { createCassandraReadModels } from '../../projections/cassandra.js';
import { createCassandraClient } from '../../adapters/read-store/cassandra.js';
import { cassandraChecksum } from '../../projections/cassandra-checksum.js';
import { cassandraDb } from '../../projections/cassandra-db.js';
import type { CassandraDb } from '../../projections/cassandra-db.js';
import { cassandraDispatcher, newBatchMemo } from '../../projections/cassandra-projection.js';
import type { Mutation } from '../../projections/cassandra-projection.js';
import { cassandraProjections, cassandraReadModelTables } from '../../projections/cassandra-tables.js';
import { writeMutations } from '../../projections/cassandra-writes.js';
import { T0, ev, midsFrom, put, to } from '../unit/projections/fixtures.js';
import { mixed } from '../contract/readmodels-runner.contract.js';
import { fixedClock } from '../../adapters/clock/clock.js';
import { createEmbeddedReadModels } from '../../projections/embedded.js';
import type { Page, ReadModels } from '../../ports/read-models.js';
import { mixedLog } from '../../bench/mixed-log.js';
import { needs } from '../infra/needs.js';
import type { EventStore } from '../../ports/eventstore.js';
import type { FollowerLog } from '../../follower/follower.js';
import type { Backoff } from '../../follower/waiters.js';

/** Every page of a paged query, cursors included. */
const pages = async <T>(read: (before?: string) => Promise<Page<T>>): Promise<Page<T>[]> => {
  const out: Page<T>[] = [];
  for (let before: string | undefined, more = true; more && out.length < 500; more = before !== undefined) {
    const page = await read(before);
    out.push(page);
    before = page.next ?? undefined;
  }
  return out;
};

/** What a read store answers about a log of 16 users (u0..u15), 4 threads and their messages. */
const everyAnswer = async (m: ReadModels, now: Date, mids: readonly string[]): Promise<unknown[]> => {
  const out: unknown[] = [await m.userCount()];
  const users = Array.from({ length: 16 }, (_, i) => `u${i}`);
  for (const u of users) {
    out.push(await pages((before) => m.inbox(u, { limit: 45, ...(before === undefined ? {} : { before }) }, now)));
    out.push(
      await pages((before) =>
        m.inbox(u, { limit: 31, unseen: true, ...(before === undefined ? {} : { before }) }, now),
      ),
    );
    out.push(await m.devicesByUser(u));
  }
  for (const t of ['t0', 't1', 't2', 't3', 'nope']) {
    out.push(
      await m.thread(t),
      await m.threadMembers(t, { limit: 5 }),
      await m.threadMembers(t, { after: 'u3', limit: 50 }),
    );
    out.push(
      await m.memberRoles(t, 'u0'),
      await pages((before) => m.threadMessages(t, { limit: 25, ...(before === undefined ? {} : { before }) }, now)),
    );
  }
  for (const [i, mid] of mids.entries()) {
    if (i % 5 !== 0) continue;
    out.push(await m.message(mid), await m.isRecipient(mid, users[i % 16] ?? 'u0'), await m.isRecipient(mid, 'u1'));
  }
  return out;
};

// What only the Cassandra read store does: schema migrations, commuting writes (the reason
// a batch may be written concurrently), retry after a failed batch, and the composition the
// broker will call. Its own keyspace, dropped at the end.

needs('MSGXC_TEST_CASSANDRA_PORT', 'Cassandra', (port) => {
  const keyspace = `msgxc_test_${randomBytes(6).toString('hex')}`;
  const dc = process.env.MSGXC_TEST_CASSANDRA_DC ?? 'datacenter1';
  const contactPoints = [`${process.env.MSGXC_TEST_CASSANDRA_CONTACT_POINT ?? '127.0.0.1'}:${port}`];
  const replication = { class: 'NetworkTopologyStrategy', [dc]: 1 };
  let client: Client;
  let db: CassandraDb;
  let firstReport: unknown;
  const truncateAll = async (): Promise<void> => {
    for (const t of [...cassandraReadModelTables, 'follower_checkpoints']) await client.execute(`TRUNCATE ${db.t(t)}`);
  };
  // The store the broker opens, on this file's keyspace (the first generation: no rebuild here).
  const openRead = (store: EventStore, extra: { log?: FollowerLog; retry?: Backoff } = {}) =>
    openCassandraReadStore({ client, keyspace, localDataCenter: dc, store, ...extra });

  beforeAll(async () => {
    client = createCassandraClient({ contactPoints, localDataCenter: dc });
    await client.connect();
    firstReport = await applyCassandraMigrations({ client, keyspace, replication });
    // The follower's tables, as opening the read store creates them (truncated before each test).
    await ensureCassandraCheckpoints(client, keyspace);
    db = cassandraDb(client, keyspace);
  });
  afterAll(async () => {
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`, [], { readTimeout: 60_000 });
    await client.shutdown();
  });

  describe('cassandra schema migrations', () => {
    it('creates the keyspace with the given replication, records each version, and re-applying changes nothing', async () => {
      // 002_compat (issue 14): the management API's and onadata's tables; 003_audiences (issue 13);
      // 004_user_imports (imports' progress from the log); 005_segments (saved segments, listed);
      // 006_user_import_started (a part's start beside its record time).
      expect(firstReport).toEqual({ applied: [1, 2, 3, 4, 5, 6], alreadyApplied: [] });
      const again = await applyCassandraMigrations({
        client,
        keyspace,
        replication: { class: 'SimpleStrategy', replication_factor: 3 },
      });
      expect(again).toEqual({ applied: [], alreadyApplied: [1, 2, 3, 4, 5, 6] });
      const ks = (
        await client.execute('SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?', [keyspace])
      ).rows[0];
      expect(ks?.get('replication')).toMatchObject({
        class: 'org.apache.cassandra.locator.NetworkTopologyStrategy',
        [dc]: '1',
      });
      // Rows come in token order (version is the partition key): sorted, to compare the versions recorded.
      const recorded = (await client.execute(`SELECT version, name FROM ${keyspace}.schema_migrations`)).rows
        .map((r): [number, string] => [Number(r.get('version')), String(r.get('name'))])
        .sort((a, b) => a[0] - b[0]);
      expect(recorded).toEqual([
        [1, 'read_models'],
        [2, 'compat'],
        [3, 'audiences'],
        [4, 'user_imports'],
        [5, 'segments'],
        [6, 'user_import_started'],
      ]);
      expect((await client.execute(`SELECT * FROM ${keyspace}.schema_migrations_lock`)).rows).toEqual([]);
      const tables = (
        await client.execute('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?', [keyspace])
      ).rows.map((r) => String(r.get('table_name')));
      expect(tables).toEqual(expect.arrayContaining([...cassandraReadModelTables, 'projection_checkpoints']));
    });

    it('refuses a migration whose text changed after it was applied', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'msgxc-cql-'));
      try {
        cpSync(defaultMigrationsDir(), dir, { recursive: true });
        const [file] = readdirSync(dir).filter((f) => f.startsWith('001_'));
        appendFileSync(join(dir, file ?? 'missing'), '\n-- edited\n');
        await expect(applyCassandraMigrations({ client, keyspace, replication, dir })).rejects.toThrow(
          /001_read_models.cql was changed after it was applied/,
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('cassandra read store', () => {
    beforeEach(truncateAll);

    it("writes commute: a log's mutations sent in reverse order give the same read models as the runner", async () => {
      const store = createMemoryEventStore();
      const head = await put(store, ...mixed());
      const read = await openRead(store);
      read.runner.start();
      await read.runner.waitFor(head, 30_000);
      await read.close();
      const byRunner = await cassandraChecksum(db);

      const apply = cassandraDispatcher(db, cassandraProjections);
      const memo = newBatchMemo();
      const mutations: Mutation[] = [];
      const now = () => new Date().toISOString();
      for (const e of decodeBatch('commute', await store.readAll({ limit: 1_000 }), 0, undefined, now).events)
        mutations.push(...(await apply(e.event, { position: e.position, occurredAt: e.metadata.occurredAt }, memo)));
      await truncateAll();
      for (const m of [...mutations].reverse()) await writeMutations(db, [m]);
      expect(await cassandraChecksum(db)).toBe(byRunner);
    });

    it('answers every query exactly as the SQLite store does, for the same mixed log', async () => {
      const store = createMemoryEventStore();
      const log = mixedLog(store, 16, 4);
      await log.setup();
      // The bench's traffic, plus unsubscribes, re-subscribes, role changes and device churn.
      for (let i = 0; (await store.head()) < 900; i += 1) {
        await log.step();
        const [u, t] = [`u${i % 16}`, `t${i % 4}`];
        if (i % 40 === 7) await put(store, ev.left(t, u), ev.revoked(u, `d${i % 16}`), ev.joined(t, u, 'publisher'));
        if (i % 40 === 27) await put(store, ev.joined(t, u), ev.left(t, u, 'publisher'), ev.enlisted(u, `d${i % 16}`));
      }
      const head = await store.head();
      const dir = mkdtempSync(join(tmpdir(), 'msgxc-diff-'));
      const sqlite = openEmbeddedReadStore({ file: join(dir, 'read.db'), store });
      const cassandra = await openRead(store);
      try {
        const runners = [sqlite.runner, cassandra.runner];
        for (const r of runners) r.start();
        for (const r of runners) await r.waitFor(head, 60_000);
        for (const r of runners) await r.stop();
        const now = log.now();
        const [fromSqlite, fromCassandra] = await Promise.all([
          everyAnswer(createEmbeddedReadModels(sqlite.db, fixedClock(now)), now, log.published),
          everyAnswer(createCassandraReadModels(db, fixedClock(now)), now, log.published),
        ]);
        expect(fromCassandra).toEqual(fromSqlite);
      } finally {
        await sqlite.close();
        await cassandra.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('retries a failed batch from the checkpoint after a pause', async () => {
      const store = createMemoryEventStore();
      const errors: object[] = [];
      const log = {
        warn: () => undefined,
        error: (o: object) => {
          errors.push(o);
        },
      };
      const read = await openRead(store, { log, retry: { firstMs: 200, maxMs: 200 } });
      const { runner } = read;
      runner.start();
      // A real failure: the checkpoint's table is gone while a batch is applied.
      await client.execute(`DROP TABLE ${db.t('follower_checkpoints')}`);
      const m = midsFrom()();
      const p = await put(store, ev.published(m, to.user('ann')));
      const deadline = Date.now() + 20_000;
      while (errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(errors.length).toBeGreaterThan(0);
      await ensureCassandraCheckpoints(client, keyspace);
      await runner.waitFor(p, 30_000);
      await read.close();
      const inbox = await createCassandraReadModels(db).inbox('ann', { limit: 5 }, new Date(T0 + 1_000));
      expect(inbox.messages.map((x) => x.mid)).toEqual([m]);
    });

    it('openCassandraReadStore with contact points: migrates, follows the log, answers, closes its own client', async () => {
      const store = createMemoryEventStore();
      const read = await openCassandraReadStore({ contactPoints, localDataCenter: dc, keyspace, store });
      try {
        expect(read.migrations).toEqual({ applied: [], alreadyApplied: [1, 2, 3, 4, 5, 6] });
        read.runner.start();
        const m = midsFrom()();
        await read.runner.waitFor(await put(store, ev.recognized('ann'), ev.published(m, to.everyone())));
        const page = await read.models.inbox('ann', { limit: 50 }, new Date(T0 + 1));
        expect(page).toEqual({ messages: [expect.objectContaining({ mid: m, seen: false, read: false })], next: null });
        expect(await read.checksum()).toMatch(/^[0-9a-f]{64}$/);
      } finally {
        await read.close();
      }
      await expect(read.db.client.execute('SELECT now() FROM system.local')).rejects.toThrow();
    });
  });
});
