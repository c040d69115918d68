import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, nodeId, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { isProductionStack, stackEnv } from './stack.js';
import { startStandins, subscriptionId, waitFor, type Standins } from './standin-env.js';

// A new reactor process starts from the stored snapshot of delivery's state (issue 15,
// app/reactors-snapshots.ts): reactor process A (MSGXC_ROLE=reactors) delivers a push and
// stores snapshots of its reactors.db in the JetStream cluster's object store; A stops; a new
// user enlists and is sent a message while no reactor runs; reactor process B starts with an
// empty data directory, restores the snapshot (its log line names the snapshot's position, at
// or past everything A had done) and delivers that message, once, without sending A's again.
// The same for nodes of role `all` (API and reactors in one process), which store and restore
// the snapshot too. Production stack only (vitest.config.ts): the snapshot lives beside the
// JetStream log.

interface Logged {
  readonly msg?: string;
  readonly position?: number;
}
const lines = (server: Server, msg: string): Logged[] =>
  server
    .output()
    .split('\n')
    .flatMap((l) => {
      try {
        const j = JSON.parse(l) as Logged;
        return j.msg === msg ? [j] : [];
      } catch {
        return [];
      }
    });

for (const role of ['reactors', 'all'] as const)
  describe(`a new ${role} process restores the delivery state snapshot`, () => {
    const shared = tempDir('msgxc-snap-shared-');
    const dirs = { api: tempDir(), a: tempDir(), b: tempDir() };
    let standins: Standins;
    let api: Server;
    let a: Server | undefined;
    let b: Server | undefined;
    let admin: string;

    const env = (node: string, extra: Record<string, string> = {}): Record<string, string> => ({
      ...standins.env,
      ...stackEnv(shared),
      MSGXC_NODE_ID: node,
      MSGXC_SCHEDULER_POLL_MS: '50',
      MSGXC_TRIAGE_TIME_SCALE: '0.01',
      ...extra,
    });

    beforeAll(async () => {
      if (!isProductionStack()) throw new Error('reactor-snapshot.e2e runs on the production stack only');
      standins = await startStandins();
      api = await startServer({ dataDir: dirs.api, env: env(nodeId(`snap-api-${role}`), { MSGXC_ROLE: 'api' }) });
      admin = await token('root', ['admin']);
    });
    afterAll(async () => {
      const started = [api as Server | undefined, a, b].filter((s): s is Server => s !== undefined);
      await Promise.all(started.map((s) => s.stop()));
      await standins.close();
      for (const d of [...Object.values(dirs), shared]) removeDir(d);
    });

    it('restores, replays only the tail and delivers the message sent while no reactor ran', async () => {
      const enlist = async (uid: string): Promise<string> => {
        const s = standins.webpush.subscribe(`sub-${uid}`);
        const r = await call(api, 'POST', '/api/v2/enlist', { token: await token(uid), body: s });
        expect(r.status, r.text).toBe(200);
        return subscriptionId(s.endpoint);
      };
      const send = async (uid: string): Promise<void> => {
        const r = await call(api, 'POST', '/api/v2/send', { token: admin, body: { uid, msg: `for ${uid}` } });
        expect(r.status, r.text).toBe(200);
      };
      const pushes = (sub: string): number => standins.webpush.recorder.forKey(sub).length;
      const head = async (): Promise<number> => {
        const m = /^msgxc_log_head_position (\d+)/m.exec((await call(api, 'GET', '/metrics')).text);
        return Number(m?.[1] ?? 0);
      };

      a = await startServer({
        dataDir: dirs.a,
        env: env(nodeId(`snap-a-${role}`), { MSGXC_ROLE: role, MSGXC_REACTORS_SNAPSHOT_MS: '1000' }),
      });
      const first = await enlist(`snap-first-${role}`);
      await send(`snap-first-${role}`);
      await waitFor('the push to the first user', () => (pushes(first) === 1 ? true : undefined), 30_000);
      // Everything A did is in the log by now; wait for a snapshot at or past it.
      const done = await head();
      const taken = await waitFor(
        'a snapshot holding the first delivery',
        () => lines(a as Server, 'delivery state snapshot stored').find((l) => (l.position ?? 0) >= done),
        30_000,
        200,
      );
      await a.stop();
      a = undefined;

      const second = await enlist(`snap-second-${role}`);
      await send(`snap-second-${role}`);
      b = await startServer({ dataDir: dirs.b, env: env(nodeId(`snap-b-${role}`), { MSGXC_ROLE: role }) });
      await waitFor('the push to the second user', () => (pushes(second) === 1 ? true : undefined), 30_000);
      const restored = lines(b, 'delivery state restored from a snapshot');
      expect(restored.length, b.output()).toBe(1);
      expect(restored[0]?.position).toBeGreaterThanOrEqual(taken.position ?? 0);
      expect(restored[0]?.position).toBeGreaterThanOrEqual(done);
      expect(lines(b, 'no delivery state snapshot: the reactors replay the log')).toEqual([]);
      // Nothing is sent twice.
      await new Promise((r) => setTimeout(r, 1_000));
      expect([pushes(first), pushes(second)]).toEqual([1, 1]);
    });
  });
