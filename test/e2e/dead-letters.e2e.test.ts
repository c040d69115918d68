import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEventStore } from '../../app/engines.js';
import { meta } from '../unit/projections/fixtures.js';
import { call, removeDir, startServer, token, type Server } from './harness.js';
import { stackEnv } from './stack.js';

// Poison events are never silent (issue 9), on a real server process: an event in the log that
// the projections cannot decode (written behind the broker's back, as an older or buggy writer
// would have) is quarantined, listed for admins and auditors, counted; the projections carry on;
// a rebuild refuses to skip it unless told to; a retry tries it again in a rebuild.

interface DeadLetter {
  follower: string;
  position: number;
  stream: string;
  type: string;
  reason: string;
  at: string;
}
interface Stats {
  deadLetters: number;
  head: number;
  projections: { name: string; position: number }[];
  rebuild: { running: boolean; finishedAt?: string; failedAt?: string; error?: string; replayed?: number };
}

describe('dead letters on a real server process', () => {
  let s: Server;
  let admin: string;
  let auditor: string;
  let bob: string;
  let poison = 0;
  const stats = async (): Promise<Stats> =>
    (await call(s, 'GET', '/api/v2/admin/stats', { token: admin })).body as Stats;
  const letters = async (query = ''): Promise<{ count: number; deadLetters: DeadLetter[] }> =>
    (await call(s, 'GET', `/api/v2/admin/dead-letters${query}`, { token: auditor })).body as {
      count: number;
      deadLetters: DeadLetter[];
    };
  /** Polls the stats until `done` holds (a state the server reaches, not a time). */
  const until = async (what: string, done: (st: Stats) => boolean): Promise<Stats> => {
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
      const st = await stats();
      if (done(st)) return st;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}: ${JSON.stringify(await stats())}`);
  };
  const caughtUp = (st: Stats): boolean => st.projections.every((p) => p.position >= st.head);

  beforeAll(async () => {
    s = await startServer({ env: { MSGXC_REACTORS: 'false' } });
    admin = await token('root', ['admin']);
    auditor = await token('audit', ['auditor']);
    bob = await token('bob');
    expect((await call(s, 'POST', '/api/v2/threads', { token: bob, body: { tid: 'club', opens: true } })).status).toBe(
      201,
    );
    await s.stop();
    const env = stackEnv(s.dataDir);
    const log = await openEventStore(env['MSGXC_EVENTSTORE'] ?? 'embedded', { dataDir: s.dataDir });
    const appended = await log.append(
      'user-poison',
      [{ type: 'DeviceEnlisted', data: { uid: 'poison' }, metadata: meta() }],
      'any',
    );
    await log.close();
    if (appended.kind !== 'appended') throw new Error('could not plant the poison event');
    poison = appended.position;
    s = await startServer({ dataDir: s.dataDir, env: { MSGXC_REACTORS: 'false' } });
  });
  afterAll(async () => {
    await s.stop();
    removeDir(s.dataDir);
  });

  it('quarantines it with the reason, lists it for admins and auditors only, counts it, and carries on', async () => {
    await until('the projections passed the poison event', caughtUp);
    // Two followers read a device enlistment: the read models and the search projection (its user
    // directory); each quarantines it once, under its own name.
    const listed = await letters();
    expect(listed.count).toBe(2);
    const followers = listed.deadLetters.map((d) => d.follower);
    expect(new Set(followers).size).toBe(2);
    expect(followers).toContain('search');
    for (const d of listed.deadLetters) {
      expect(d).toMatchObject({ position: poison, stream: 'user-poison', type: 'DeviceEnlisted' });
      expect(d.reason).toMatch(/^data: .*device/);
      expect((await letters(`?follower=${d.follower}`)).count).toBe(1);
    }
    expect((await letters('?follower=nobody')).count).toBe(0);
    // A misspelt or repeated filter is a 400 naming it, not every follower's letters as if filtered.
    for (const [query, msg] of [
      ['?folower=search', 'folower: unknown parameter (expected one of follower, limit)'],
      ['?follower=search&follower=projections', 'follower: given more than once'],
    ]) {
      const r = await call(s, 'GET', `/api/v2/admin/dead-letters${query}`, { token: auditor });
      expect(r.status, query).toBe(400);
      expect(r.body, query).toEqual({ code: 'InvalidQuery', msg });
    }
    expect((await call(s, 'GET', '/api/v2/admin/dead-letters', { token: bob })).status).toBe(403);
    expect((await call(s, 'GET', '/api/v2/admin/dead-letters')).status).toBe(401);
    expect((await stats()).deadLetters).toBe(2);
    const metrics = (await call(s, 'GET', '/metrics')).text;
    for (const f of followers) expect(metrics).toContain(`msgxc_follower_dead_letters_total{follower="${f}"} 1`);
    // The projections carry on after it: a thread created now is there.
    const created = await call(s, 'POST', '/api/v2/threads', { token: bob, body: { tid: 'after', opens: true } });
    expect(created.status).toBe(201);
    expect((await call(s, 'GET', '/api/v2/threads/after', { token: bob })).body).toMatchObject({ owner: 'bob' });
  });

  it('a rebuild refuses to skip it and names it, unless told to; a retry tries it again in a rebuild', async () => {
    const refused = await call(s, 'POST', '/api/v2/admin/rebuild', { token: admin });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'RebuildWouldSkip' });
    expect(JSON.stringify(refused.body)).toContain(`position(s) ${String(poison)}`);
    expect((await stats()).rebuild.running).toBe(false);
    const bad = await call(s, 'POST', '/api/v2/admin/rebuild?allowSkips=perhaps', { token: admin });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('allowSkips');
    expect((await call(s, 'POST', '/api/v2/admin/dead-letters/retry', { token: auditor })).status).toBe(403);

    const retry = await call(s, 'POST', '/api/v2/admin/dead-letters/retry', { token: admin });
    expect(retry.status).toBe(202);
    expect(retry.body).toMatchObject({ retrying: 2, rebuild: { running: true } });
    const retried = await until('the retry finished', (st) => !st.rebuild.running);
    expect(retried.rebuild).toMatchObject({ replayed: expect.any(Number) as number });
    expect(retried.rebuild.failedAt).toBeUndefined();
    // Still undecodable: quarantined again by the new generations, which are live now.
    expect((await letters()).deadLetters.map((d) => d.position)).toEqual([poison, poison]);

    const allowed = await call(s, 'POST', '/api/v2/admin/rebuild?allowSkips=true', { token: admin });
    expect(allowed.status).toBe(202);
    const done = await until('the rebuild finished', (st) => !st.rebuild.running);
    expect(done.rebuild.failedAt).toBeUndefined();
    expect((await letters()).deadLetters.map((d) => d.position)).toEqual([poison, poison]);
    expect((await call(s, 'GET', '/api/v2/threads/club', { token: bob })).status).toBe(200);
  });
});
