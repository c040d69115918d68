import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Client } from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveFile } from '../../adapters/checkpoint/sqlite-generations.js';
import { createEmbeddedSearchIndex } from '../../adapters/search/embedded.js';
import { zeroCounts, zeroFunnel } from '../../schema/search-documents.js';
import { openElasticSearchIndex } from '../../adapters/search/elastic.js';
import type { SearchIndex } from '../../ports/search.js';
import { shardOf } from '../../projections/users/cassandra.js';
import { call, removeDir, SECRET, startServer, token, type Server } from './harness.js';
import { isProductionStack, stackEnv } from './stack.js';
import { allEvents } from './standin-env.js';

// The admin UI and the read-model rebuild on a real server process. The rebuild tests damage
// the read models and the search index behind the broker's back first (rows and documents no
// event made, a message whose text no event wrote), because a rebuild that only re-applied
// the log over what is there would leave an intact store unchanged and so prove nothing.
// Reactors are off: only this file's requests write to the log, so the replay count is exact.
const GHOST_MID = '00000000-0000-7000-8000-0000000000ff';
const CORRUPTED = 'corrupted behind the broker';
const BIN = resolve(import.meta.dirname, '../../dist/bin/msgxc.js');

interface Stats {
  users: number;
  head: number;
  projections: { name: string; position: number }[];
  projectionLag: number;
  rebuild: { running: boolean; position: number; head: number; finishedAt?: string; replayed?: number };
}

/** The stores this broker's read side lives in, opened from the test process. */
const damage = (dataDir: string) => {
  const env = stackEnv(dataDir);
  const search = async (): Promise<SearchIndex> =>
    isProductionStack()
      ? openElasticSearchIndex({ url: env['MSGXC_ELASTIC_URL'] ?? '', prefix: env['MSGXC_ELASTIC_INDEX_PREFIX'] ?? '' })
      : createEmbeddedSearchIndex({ file: join(dataDir, 'search.db') });
  const readModels = async (mid: string): Promise<void> => {
    if (!isProductionStack()) {
      // The live generation's file (a rebuild before this one put a new generation beside read.db).
      const db = new BetterSqlite3(liveFile(join(dataDir, 'read.db')));
      db.pragma('busy_timeout = 10000');
      db.prepare(`INSERT INTO users (uid, first_position, first_at) VALUES ('ghost', 1, 'no event')`).run();
      expect(db.prepare('UPDATE messages SET msg = ? WHERE mid = ?').run(CORRUPTED, mid).changes).toBe(1);
      db.close();
      return;
    }
    const client = new Client({
      contactPoints: (env['MSGXC_CASSANDRA_CONTACT_POINTS'] ?? '').split(','),
      localDataCenter: env['MSGXC_CASSANDRA_LOCAL_DC'] ?? '',
      keyspace: env['MSGXC_CASSANDRA_KEYSPACE'] ?? '',
    });
    // Timestamp 2^53: above every position-derived timestamp the projection writes, so only a truncate removes these.
    const ts = 'USING TIMESTAMP 9007199254740992';
    try {
      await client.execute(`INSERT INTO users (uid, first_position, first_at) VALUES ('ghost', 1, 'no event') ${ts}`);
      await client.execute(`INSERT INTO users_by_shard (shard, uid) VALUES (?, 'ghost') ${ts}`, [shardOf('ghost')], {
        prepare: true,
      });
      await client.execute(`UPDATE messages ${ts} SET msg = ? WHERE mid = ?`, [CORRUPTED, mid], { prepare: true });
    } finally {
      await client.shutdown();
    }
  };
  const searchIndex = async (): Promise<void> => {
    const index = await search();
    try {
      await index.write(
        [
          {
            kind: 'createMessage',
            doc: {
              mid: GHOST_MID,
              tid: null,
              from: 'nobody',
              audience: 'user',
              recipients: 1,
              text: 'ghost document',
              urgency: 3,
              at: new Date().toISOString(),
              scheduled: null,
              status: 'published',
              counts: zeroCounts(),
              funnel: zeroFunnel(),
              channels: [],
            },
          },
        ],
        { name: 'stale-plant', position: 1 },
      );
      await index.refresh();
    } finally {
      await index.close();
    }
  };
  const ghostDocuments = async (): Promise<number> => {
    const index = await search();
    try {
      return (await index.messages([GHOST_MID])).size;
    } finally {
      await index.close();
    }
  };
  return { readModels, searchIndex, ghostDocuments };
};

describe('admin UI and read-model rebuild on a real server process', () => {
  let s: Server;
  let admin: string;
  let bob: string;
  const stats = async (): Promise<Stats> =>
    (await call(s, 'GET', '/api/v2/admin/stats', { token: admin })).body as Stats;
  beforeAll(async () => {
    s = await startServer({ env: { MSGXC_REACTORS: 'false' } });
    admin = await token('root', ['admin']);
    bob = await token('bob');
  });
  afterAll(async () => {
    await s.stop();
    removeDir(s.dataDir);
  });

  it('serves the page and its script; the data needs an admin token', async () => {
    const page = await call(s, 'GET', '/admin');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).toContain('/admin/app.js');
    expect((await call(s, 'GET', '/admin/app.js')).text).toContain('/api/v2/admin/stats');
    expect((await call(s, 'GET', '/api/v2/admin/stats', { token: bob })).status).toBe(403);
    expect((await call(s, 'POST', '/api/v2/admin/rebuild', { token: bob })).status).toBe(403);
  });

  it('refuses an unknown or repeated parameter of rebuild and of the outbox, naming it, before doing anything', async () => {
    for (const [path, msg] of [
      ['/api/v2/admin/rebuild?allowSkip=true', 'allowSkip: unknown parameter (expected one of allowSkips)'],
      ['/api/v2/admin/rebuild?allowSkips=true&allowSkips=false', 'allowSkips: given more than once'],
    ] as const) {
      const r = await call(s, 'POST', path, { token: admin });
      expect(r.status, path).toBe(400);
      expect(r.body, path).toEqual({ code: 'InvalidQuery', msg });
    }
    expect(((await call(s, 'GET', '/api/v2/admin/stats', { token: admin })).body as Stats).rebuild).not.toHaveProperty(
      'startedAt',
    );
    for (const [path, msg] of [
      ['/api/v2/outbox?channel=email&channel=sms', 'channel: given more than once'],
      ['/api/v2/outbox?chanel=email', 'chanel: unknown parameter (expected one of before, limit, channel, mid)'],
    ] as const) {
      const r = await call(s, 'GET', path, { token: admin });
      expect(r.status, path).toBe(400);
      expect(r.body, path).toEqual({ code: 'InvalidQuery', msg });
    }
  });

  it('rebuilds every read model and the search index from the log: damage is gone, answers are as before, every event replayed', async () => {
    await call(s, 'POST', '/api/v2/threads', { token: bob, body: { tid: 'club', opens: true } });
    let mid = '';
    for (let i = 0; i < 300; i++)
      mid =
        (await call(s, 'POST', '/api/v2/send', { token: admin, body: { uid: 'bob', msg: `m${i}` } })).headers.get(
          'x-message-id',
        ) ?? '';
    await call(s, 'POST', '/api/v2/publish', { token: bob, body: { tid: 'club', msg: 'in the club' } });
    const before = await call(s, 'GET', '/api/v2/inbox?limit=200', { token: bob });
    const thread = await call(s, 'GET', '/api/v2/threads/club/messages', { token: bob });
    const message = await call(s, 'GET', `/api/v2/messages/${mid}`, { token: bob });
    expect(message.body).toMatchObject({ mid, msg: 'm299' });
    const users = (await stats()).users;

    const d = damage(s.dataDir);
    await d.readModels(mid);
    await d.searchIndex();
    // The damage shows through the broker's own answers and the search store.
    expect((await call(s, 'GET', `/api/v2/messages/${mid}`, { token: bob })).body).toMatchObject({ msg: CORRUPTED });
    expect((await stats()).users).toBe(users + 1);
    expect(await d.ghostDocuments()).toBe(1);

    const started = await call(s, 'POST', '/api/v2/admin/rebuild', { token: admin });
    expect(started.status).toBe(202);
    let st: Stats | undefined;
    for (let i = 0; i < 600; i++) {
      st = await stats();
      if (!st.rebuild.running && st.rebuild.finishedAt !== undefined) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    if (st?.rebuild.finishedAt === undefined) throw new Error(`the rebuild did not finish: ${JSON.stringify(st)}`);
    const done = st;
    // Progress counts events replayed over all projections (read models, search): it ends at its total.
    expect(done.rebuild.position).toBe(done.rebuild.head);
    // Every projection read back every event of the log (reactors are off: nothing else appends).
    const events = await allEvents(s, admin);
    expect(done.projections).toHaveLength(2);
    expect(done.projections.map((p) => p.position)).toEqual([done.head, done.head]);
    expect(done.rebuild.replayed).toBe(events.length * 2);

    expect((await call(s, 'GET', '/api/v2/inbox?limit=200', { token: bob })).body).toEqual(before.body);
    expect((await call(s, 'GET', '/api/v2/threads/club/messages', { token: bob })).body).toEqual(thread.body);
    expect((await call(s, 'GET', `/api/v2/messages/${mid}`, { token: bob })).body).toEqual(message.body);
    expect((await stats()).users).toBe(users);
    expect(await d.ghostDocuments()).toBe(0);
  });

  if (!isProductionStack()) {
    it('`msgxc rebuild` replays the log offline with progress: the damage is gone and the broker answers the same after it', async () => {
      const before = await call(s, 'GET', '/api/v2/inbox?limit=200', { token: bob });
      const events = await allEvents(s, admin);
      const [first] = (before.body as { messages: { mid: string; msg: string }[] }).messages;
      if (first === undefined) throw new Error('bob has an empty inbox');
      await s.stop();
      await damage(s.dataDir).readModels(first.mid);
      const run = spawnSync(process.execPath, [BIN, 'rebuild'], {
        env: { PATH: process.env['PATH'] ?? '', MSGXC_DATA_DIR: s.dataDir, MSGXC_JWT_SECRET: SECRET },
        encoding: 'utf8',
      });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/100\.0%/);
      expect(run.stderr).toContain(`rebuilt the read models from ${String(events.length)} events`);
      s = await startServer({ dataDir: s.dataDir, env: { MSGXC_REACTORS: 'false' } });
      expect((await call(s, 'GET', '/api/v2/inbox?limit=200', { token: bob })).body).toEqual(before.body);
      expect((await call(s, 'GET', `/api/v2/messages/${first.mid}`, { token: bob })).body).toMatchObject({
        msg: first.msg,
      });
    });
  } else {
    it('`msgxc rebuild` refuses the production engines and points at the admin rebuild', () => {
      const run = spawnSync(process.execPath, [BIN, 'rebuild'], {
        env: {
          PATH: process.env['PATH'] ?? '',
          MSGXC_DATA_DIR: s.dataDir,
          MSGXC_JWT_SECRET: SECRET,
          ...stackEnv(s.dataDir),
        },
        encoding: 'utf8',
      });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(/msgxc rebuild works on the embedded store; use the admin UI/);
    });
  }
});
