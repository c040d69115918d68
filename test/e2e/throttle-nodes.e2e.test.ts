import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, nodeId, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { isProductionStack, stackEnv } from './stack.js';
import { waitFor } from './standin-env.js';
import { MISSED_BEATS } from '../../delivery/roster.js';
import { busiestSecond } from '../windows.js';

// Throttling across delivery processes (docs/campaigns.md): an API node and two reactor
// processes on one log, email limited to LIMIT a second. The reactors find each other by their
// heartbeats on the bus (delivery/roster.ts) and each sends its share, so the email sends of a
// multicast, recorded with their times in each reactor's outbox (outbox.db, read here), never
// hold more than LIMIT in any one-second window together, while both reactors sent some.
// Production stack only (vitest.config.ts): a split deployment needs a log every node shares.
const LIMIT = 4;
const PEOPLE = 24;
const HEARTBEAT_MS = 500;

describe('a throttle shared by two reactor processes', () => {
  const shared = tempDir('msgxc-throttle-shared-');
  const dirs = { api: tempDir(), r1: tempDir(), r2: tempDir() };
  const servers: Server[] = [];
  let api: Server;
  let admin: string;
  const env = (node: string, role: string): Record<string, string> => ({
    ...stackEnv(shared),
    MSGXC_NODE_ID: nodeId(node),
    MSGXC_ROLE: role,
    MSGXC_LOG_LEVEL: 'warn',
    MSGXC_SCHEDULER_POLL_MS: '50',
    MSGXC_TRIAGE_TIME_SCALE: '0.001',
    MSGXC_PRESENCE_HEARTBEAT_MS: String(HEARTBEAT_MS),
    MSGXC_THROTTLE_EMAIL: `${String(LIMIT)}/s`,
  });
  beforeAll(async () => {
    if (!isProductionStack()) throw new Error('throttle-nodes.e2e runs on the production stack only');
    api = await startServer({ dataDir: dirs.api, env: env('throttle-api', 'api') });
    servers.push(api);
    for (const r of ['r1', 'r2'] as const)
      servers.push(await startServer({ dataDir: dirs[r], env: env(`throttle-${r}`, 'reactors') }));
    admin = await token('root', ['admin']);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    for (const d of [...Object.values(dirs), shared]) removeDir(d);
  });

  /** Every recipient's profile with an email address. */
  const people = async (prefix: string, n: number): Promise<string[]> => {
    const run = Date.now().toString(36);
    const uids = Array.from({ length: n }, (_, i) => `${prefix}${String(i)}-${run}`);
    for (const uid of uids) {
      const r = await call(api, 'POST', '/api/v2/profile', {
        token: await token(uid),
        body: { email: `${uid}@example.org` },
      });
      expect(r.status, r.text).toBe(200);
    }
    return uids;
  };
  /** The times of the email sends of `mid` in the outbox of the reactor in `dir`. */
  const times = (dir: string, mid: string): number[] => {
    const db = new Database(join(dir, 'outbox.db'), { readonly: true, fileMustExist: true });
    try {
      return db
        .prepare<[string], { at: string }>("SELECT at FROM outbox WHERE channel = 'email' AND mid = ?")
        .all(mid)
        .map((r) => Date.parse(r.at));
    } finally {
      db.close();
    }
  };
  const multicast = async (uids: readonly string[], opts: Record<string, unknown> = {}): Promise<string> => {
    const sent = await call(api, 'POST', '/api/v2/multicast', { token: admin, body: { uids, msg: 'paced', opts } });
    expect(sent.status, sent.text).toBe(200);
    return sent.headers.get('x-message-id') ?? '';
  };
  const allSent = (mid: string, n: number): Promise<true> =>
    waitFor(
      "an email to every recipient in the reactors' outboxes",
      () => Promise.resolve(times(dirs.r1, mid).length + times(dirs.r2, mid).length >= n ? true : undefined),
      90_000,
      250,
    );

  it('keeps the email sends of both reactors together within the limit in every second', async () => {
    const mid = await multicast(await people('thr', PEOPLE));
    await allSent(mid, PEOPLE);
    const [t1, t2] = [times(dirs.r1, mid), times(dirs.r2, mid)];
    expect(t1.length + t2.length).toBe(PEOPLE);
    expect(t1.length, 'r1 sent some').toBeGreaterThan(0);
    expect(t2.length, 'r2 sent some').toBeGreaterThan(0);
    expect(busiestSecond([...t1, ...t2])).toBeLessThanOrEqual(LIMIT);
  });

  // A reactor whose process is stopped (SIGSTOP: a blocked loop, a long pause) for longer than
  // its peers' expiry is dropped by them, and they send its share; when it runs again its own
  // timers see the peers silent for as long. Neither may count the other as gone while both send
  // (delivery/roster.ts: the one that was stopped is deaf until it has listened again).
  it('stays within the limit in every second when one reactor stops for longer than the expiry and comes back', async () => {
    const n = 32;
    const mid = await multicast(await people('stall', n));
    await waitFor(
      "r1's first send (it holds the rest of its job when it comes back)",
      () => Promise.resolve(times(dirs.r1, mid).length >= 1 ? true : undefined),
      60_000,
      20,
    );
    const r1 = servers[1]?.proc;
    if (r1?.pid === undefined) throw new Error('no reactor process');
    r1.kill('SIGSTOP');
    try {
      await new Promise((r) => setTimeout(r, MISSED_BEATS * HEARTBEAT_MS + 1000));
    } finally {
      r1.kill('SIGCONT'); // a stopped process would not stop on afterAll's signal
    }
    await allSent(mid, n);
    const [t1, t2] = [times(dirs.r1, mid), times(dirs.r2, mid)];
    expect(t1.length + t2.length).toBe(n);
    expect(busiestSecond([...t1, ...t2])).toBeLessThanOrEqual(LIMIT);
  });

  // A campaign's own limit (opts.throttle, docs/campaigns.md "Throttling per campaign") below the
  // channel's is shared the same way: each reactor sends its share of it.
  it("keeps a campaign's own limit, under the channel's, across both reactors", async () => {
    const rate = LIMIT - 1;
    const n = 18;
    const mid = await multicast(await people('camp', n), { throttle: { email: rate } });
    await allSent(mid, n);
    const [t1, t2] = [times(dirs.r1, mid), times(dirs.r2, mid)];
    expect(t1.length + t2.length).toBe(n);
    expect(t1.length, 'r1 sent some').toBeGreaterThan(0);
    expect(t2.length, 'r2 sent some').toBeGreaterThan(0);
    expect(busiestSecond([...t1, ...t2])).toBeLessThanOrEqual(rate);
  });
});
