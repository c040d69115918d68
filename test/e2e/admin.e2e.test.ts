import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { call, removeDir, SECRET, startServer, token, type Server } from './harness.js';
import { isProductionStack } from './stack.js';

describe('admin UI and read-model rebuild on a real server process', () => {
  let s: Server;
  let admin: string;
  let bob: string;
  beforeAll(async () => {
    s = await startServer();
    admin = await token('root', ['admin']);
    bob = await token('bob');
  });
  afterAll(async () => { await s.stop(); removeDir(s.dataDir); });

  it('serves the page and its script; the data needs an admin token', async () => {
    const page = await call(s, 'GET', '/admin');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).toContain('/admin/app.js');
    expect((await call(s, 'GET', '/admin/app.js')).text).toContain('/api/v2/admin/stats');
    expect((await call(s, 'GET', '/api/v2/admin/stats', { token: bob })).status).toBe(403);
    expect((await call(s, 'POST', '/api/v2/admin/rebuild', { token: bob })).status).toBe(403);
  });

  it('rebuilds every read model from the log with progress, and answers the same afterwards', async () => {
    await call(s, 'POST', '/api/v2/threads', { token: bob, body: { tid: 'club', opens: true } });
    for (let i = 0; i < 300; i++) await call(s, 'POST', '/api/v2/send', { token: admin, body: { uid: 'bob', msg: `m${i}` } });
    await call(s, 'POST', '/api/v2/publish', { token: bob, body: { tid: 'club', msg: 'in the club' } });
    const before = await call(s, 'GET', '/api/v2/inbox?limit=200', { token: bob });
    const thread = await call(s, 'GET', '/api/v2/threads/club/messages', { token: bob });

    const started = await call(s, 'POST', '/api/v2/admin/rebuild', { token: admin });
    expect(started.status).toBe(202);
    let stats: { rebuild: { running: boolean; position: number; head: number; finishedAt?: string }; head: number } | undefined;
    for (let i = 0; i < 200; i++) {
      stats = (await call(s, 'GET', '/api/v2/admin/stats', { token: admin })).body as typeof stats;
      if (stats?.rebuild.running === false && stats.rebuild.finishedAt !== undefined) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(stats?.rebuild.finishedAt).toBeDefined();
    // Progress counts events replayed over all projections (read models, search): it ends at its total.
    expect(stats?.rebuild.position).toBe(stats?.rebuild.head);
    expect(stats?.rebuild.head).toBeGreaterThanOrEqual(stats?.head ?? Infinity);

    expect((await call(s, 'GET', '/api/v2/inbox?limit=200', { token: bob })).body).toEqual(before.body);
    expect((await call(s, 'GET', '/api/v2/threads/club/messages', { token: bob })).body).toEqual(thread.body);
  });

  // The offline CLI works on the embedded files; the production stack rebuilds through the admin route above.
  it.skipIf(isProductionStack())('`msgxc rebuild` replays the log offline with progress, and the broker answers the same after it', async () => {
    const before = await call(s, 'GET', '/api/v2/inbox?limit=200', { token: bob });
    await s.stop();
    const run = spawnSync(process.execPath, [resolve(import.meta.dirname, '../../dist/bin/msgxc.js'), 'rebuild'], {
      env: { PATH: process.env['PATH'] ?? '', MSGXC_DATA_DIR: s.dataDir, MSGXC_JWT_SECRET: SECRET }, encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/100\.0%/);
    expect(run.stderr).toMatch(/rebuilt the read models from \d+ events/);
    s = await startServer({ dataDir: s.dataDir });
    expect((await call(s, 'GET', '/api/v2/inbox?limit=200', { token: bob })).body).toEqual(before.body);
  });
});
