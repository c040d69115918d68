import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OnlineReport } from '../../domain/analytics/online.js';
import { RUN, call, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { openSocket } from './realtime-socket.js';
import { waitFor } from './standin-env.js';

// GET /api/v2/analytics/online on a real broker: websocket sessions are tallied by the node,
// checked in every 300 ms (UsersCheckedIn), indexed by the search projection, and reported.
// The session time reported must lie between what the test held open for sure and at most.
const ENV = { MSGXC_CHECKIN_INTERVAL_MS: '300', MSGXC_LOG_LEVEL: 'warn' };

describe('analytics: online time', () => {
  const dataDir = tempDir();
  let s: Server;
  let analyst: string;
  const [olga, pete] = [`olga-${RUN}`, `pete-${RUN}`];
  const since = new Date(Date.now() - 60_000).toISOString();
  const until = new Date(Date.now() + 10 * 60_000).toISOString();
  beforeAll(async () => {
    s = await startServer({ dataDir, env: ENV });
    analyst = await token('ana', ['analyst']);
  });
  afterAll(async () => {
    await s.stop();
    removeDir(dataDir);
  });

  const online = async (qs: string, as = analyst) =>
    call(s, 'GET', `/api/v2/analytics/online?interval=minute&since=${since}&until=${until}${qs}`, { token: as });
  const seconds = async (uid: string): Promise<number> => {
    const r = await online(`&uid=${uid}`);
    expect(r.status, r.text).toBe(200);
    return (r.body as OnlineReport).onlineSeconds;
  };

  it('reports the session time each user held open, per minute, with the top users and concurrency', async () => {
    const [olgaToken, peteToken] = [await token(olga), await token(pete)];
    const openStart = Date.now();
    const sockets = await Promise.all([openSocket(s, olgaToken), openSocket(s, olgaToken), openSocket(s, peteToken)]);
    const openEnd = Date.now();
    // Held open until a check-in of each user is indexed (evidence, not a fixed time).
    await waitFor(
      'check-ins of both users to be indexed',
      async () => ((await seconds(olga)) > 0 && (await seconds(pete)) > 0 ? true : undefined),
      30_000,
      100,
    );
    const closeStart = Date.now();
    await Promise.all(sockets.map((x) => x.close()));
    const closeEnd = Date.now();
    // Sure: olga's two sessions were open from openEnd to closeStart; at most from openStart to
    // closeEnd (plus the close reaching the server).
    const [sure, most] = [(closeStart - openEnd) / 1000, (closeEnd - openStart) / 1000 + 1];
    // The report gives seconds to 10 ms (rounded), so a total of exactly `sure` may read up to
    // 5 ms below it: the lower bounds allow that much and no more.
    const atLeast = (x: number): number => x - 0.005;
    // What the report said last, and the server's warnings, name the cause if this times out.
    let seen = { olga: 0, pete: 0 };
    await waitFor(
      'the last check-in after the close to be indexed',
      async () => {
        seen = { olga: await seconds(olga), pete: await seconds(pete) };
        return seen.olga >= atLeast(2 * sure) && seen.pete >= atLeast(sure) ? true : undefined;
      },
      60_000,
      100,
    ).catch((e: unknown) => {
      const warnings = s
        .output()
        .split('\n')
        .filter((l) => /"level":(40|50)/.test(l))
        .slice(-20);
      throw new Error(
        `${String(e)}; sure ${sure} s, seen ${JSON.stringify(seen)}; server warnings:\n${warnings.join('\n')}`,
      );
    });
    const r = await online('&top=5');
    expect(r.status, r.text).toBe(200);
    const report = r.body as OnlineReport;
    expect(report.uid).toBeNull();
    expect(report.users).toBe(2);
    expect(report.top.map((u) => u.uid)).toEqual([olga, pete]);
    const [o, p] = [report.top[0]?.onlineSeconds ?? 0, report.top[1]?.onlineSeconds ?? 0];
    expect(o).toBeGreaterThanOrEqual(atLeast(2 * sure));
    expect(o).toBeLessThanOrEqual(2 * most);
    expect(p).toBeGreaterThanOrEqual(atLeast(sure));
    expect(p).toBeLessThanOrEqual(most);
    expect(report.onlineSeconds).toBeCloseTo(o + p, 1);
    // Every minute of the range is listed; they add up to the total; concurrency is session time per minute.
    expect(report.buckets).toHaveLength(Math.ceil((Date.parse(until) - Date.parse(report.since)) / 60_000));
    const busy = report.buckets.filter((b) => b.onlineSeconds > 0);
    expect(busy.length).toBeGreaterThan(0);
    expect(busy.reduce((n, b) => n + b.onlineSeconds, 0)).toBeCloseTo(report.onlineSeconds, 1);
    for (const b of busy) {
      expect(b.users).toBeGreaterThanOrEqual(1);
      expect(b.concurrent).toBeCloseTo(b.onlineSeconds / 60, 1);
    }
    // One user: only theirs.
    const one = (await online(`&uid=${pete}`)).body as OnlineReport;
    expect(one).toMatchObject({ uid: pete, users: 1, onlineSeconds: p, top: [{ uid: pete, onlineSeconds: p }] });
  });

  it('is for analysts and admins, and names the bad parameter', async () => {
    const anonymous = await call(s, 'GET', `/api/v2/analytics/online?interval=minute&since=${since}&until=${until}`);
    expect(anonymous.status).toBe(401);
    expect((await online('', await token('someone'))).status).toBe(403);
    expect((await online('', await token('root', ['admin']))).status).toBe(200);
    const bad = async (path: string, field: string) => {
      const r = await call(s, 'GET', `/api/v2/analytics/online${path}`, { token: analyst });
      expect(r.status, path).toBe(400);
      expect(r.text, path).toContain(field);
    };
    await bad(`?since=${since}&until=${until}`, 'interval');
    await bad(`?interval=week&since=${since}&until=${until}`, 'interval');
    await bad(`?interval=minute&until=${until}`, 'since');
    await bad(`?interval=minute&since=${until}&until=${since}`, 'until');
    await bad(`?interval=minute&since=2020-01-01T00:00:00Z&until=2021-01-01T00:00:00Z`, 'until');
    await bad(`?interval=minute&since=${since}&until=${until}&uid=%3Cscript%3E`, 'uid');
    await bad(`?interval=minute&since=${since}&until=${until}&top=0`, 'top');
    await bad(`?interval=minute&since=${since}&until=${until}&top=101`, 'top');
    await bad(`?interval=minute&since=${since}&until=${until}&evil=1`, 'evil');
  });
});
