import { Agent, request } from 'node:http';
import { join, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Broker } from '../../app/node.js';
import type { Logger } from '../../ports/log.js';
import { RUN, removeDir, SECRET, startServer, tempDir, token, type Server } from './harness.js';
import { openLive, type TestSocket } from './realtime-socket.js';

// MSGXC_HTTP_THREADS=2 on the embedded stack: the main thread and one worker listen on the
// same port and the kernel spreads the connections. Each request below goes over a connection
// of its own (no keep-alive pool that would pin it to one thread); which thread answered shows
// in /metrics (`msgxc_http_thread`, that thread's counters) and in presence (the worker is a
// node of its own, `<node>-http1`).
interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}
const fresh = (
  server: { readonly port: number },
  method: string,
  path: string,
  opts: { token?: string; body?: unknown } = {},
): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        method,
        path,
        agent: false,
        headers: {
          connection: 'close',
          ...(opts.token === undefined ? {} : { authorization: `Bearer ${opts.token}` }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d.toString();
        });
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });

/** One thread's /metrics: which thread it is and the figures the test reads. */
interface ThreadMetrics {
  readonly thread: number;
  readonly sessions: number;
  readonly sends: number;
}
const gauge = (text: string, name: string): number => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);
/** A per-thread gauge's series for `thread`, as any thread's scrape shows it. */
const threadGauge = (text: string, name: string, thread: number): number =>
  Number(new RegExp(`^${name}\\{thread="${String(thread)}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
/** Requests on `route` a thread answered, as /metrics `text` shows them (every thread's series, labelled `thread`). */
const answeredOn = (text: string, thread: number, route: string, status = ''): number =>
  text
    .split('\n')
    .filter(
      (l) =>
        l.startsWith(`msgxc_http_requests_total{thread="${String(thread)}",`) &&
        l.includes(`"${route}"`) &&
        l.includes(`"${status}`),
    )
    .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
const scrape = async (server: { readonly port: number }): Promise<ThreadMetrics> => {
  const text = (await fresh(server, 'GET', '/metrics')).text;
  const thread = gauge(text, 'msgxc_http_thread');
  const sends = answeredOn(text, thread, '/api/v2/send', '200');
  return { thread, sessions: threadGauge(text, 'msgxc_ws_sessions', thread), sends };
};
/** Scrapes until each thread answered at least once: its latest figures. */
const perThread = async (server: { readonly port: number }): Promise<Map<number, ThreadMetrics>> => {
  const seen = new Map<number, ThreadMetrics>();
  for (let i = 0; i < 200 && seen.size < 2; i += 1) {
    const m = await scrape(server);
    seen.set(m.thread, m);
  }
  return seen;
};

const CONNECTIONS = 40;
const DIST = resolve(import.meta.dirname, '../../dist');

describe('MSGXC_HTTP_THREADS=2: two threads serve one port', () => {
  let server: Server | undefined;
  const sockets: TestSocket[] = [];
  let admin = '';
  const up = (): Server => {
    if (server === undefined) throw new Error('the server did not start');
    return server;
  };
  const env = { MSGXC_HTTP_THREADS: '2', MSGXC_LOG_LEVEL: 'warn', MSGXC_PRESENCE_HEARTBEAT_MS: '300' };

  beforeAll(async () => {
    server = await startServer({ env });
    admin = await token('admin', ['admin']);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    if (server !== undefined) {
      await server.stop();
      removeDir(server.dataDir);
    }
  });

  it('spreads websocket connections over both threads, and presence sees every one of them', async () => {
    const s = up();
    for (let i = 0; i < CONNECTIONS; i += 1) sockets.push(await openLive(s, await token(`u${i}`)));
    const threads = await perThread(s);
    expect([...threads.keys()].sort()).toEqual([0, 1]);
    const [main, worker] = [threads.get(0)?.sessions ?? 0, threads.get(1)?.sessions ?? 0];
    expect(main).toBeGreaterThan(0);
    expect(worker).toBeGreaterThan(0);
    expect(main + worker).toBe(CONNECTIONS);
    // One scrape, whichever thread answers, shows both threads' sockets (a worker sends its
    // gauges at least every second).
    for (const answering of [0, 1]) {
      let both = 0;
      for (let i = 0; i < 200 && both !== CONNECTIONS; i += 1) {
        const text = (await fresh(s, 'GET', '/metrics')).text;
        if (gauge(text, 'msgxc_http_thread') !== answering) continue;
        both = threadGauge(text, 'msgxc_ws_sessions', 0) + threadGauge(text, 'msgxc_ws_sessions', 1);
        if (both !== CONNECTIONS) await new Promise((r) => setTimeout(r, 50));
      }
      expect(both).toBe(CONNECTIONS);
    }
    // Presence, asked on any thread, names the thread each user's session is on.
    const where = new Map<string, number>();
    for (let i = 0; i < CONNECTIONS; i += 1) {
      let nodes: { node: string; sessions: number }[] = [];
      for (let tries = 0; tries < 50; tries += 1) {
        const p = JSON.parse((await fresh(s, 'GET', `/api/v2/presence/u${i}`, { token: admin })).text) as {
          nodes: { node: string; sessions: number }[];
        };
        nodes = p.nodes;
        if (nodes.length === 1) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(nodes, `u${i}`).toHaveLength(1);
      const name = nodes[0]?.node ?? '';
      where.set(name, (where.get(name) ?? 0) + 1);
    }
    const names = [...where.keys()].sort();
    expect(names).toHaveLength(2);
    expect(names[1]).toBe(`${names[0] ?? ''}-http1`);
    expect(where.get(names[0] ?? '')).toBe(main);
    expect(where.get(names[1] ?? '')).toBe(worker);
  });

  it('a broadcast over HTTP reaches every socket on both threads exactly once', async () => {
    const s = up();
    const r = await fresh(s, 'POST', '/api/v2/broadcast', { token: admin, body: { msg: 'to every thread' } });
    expect(r.status).toBe(200);
    const mid = String(r.headers['x-message-id']);
    await Promise.all(sockets.map((ws) => ws.next((f) => f.type === 'message' && f.mid === mid)));
    // Late duplicates would have arrived by now (the bus is in-process).
    await new Promise((res) => setTimeout(res, 300));
    for (const ws of sockets) expect(ws.ofType('message').filter((f) => f.mid === mid)).toHaveLength(1);
  });

  it('commands answered by either thread are in the log, visible on both, and survive a kill -9', async () => {
    const s = up();
    const bob = await token('bob');
    const mids: string[] = [];
    for (let i = 0; i < 30; i += 1) {
      const r = await fresh(s, 'POST', '/api/v2/send', { token: admin, body: { uid: 'bob', msg: `m${i}` } });
      expect(r.status).toBe(200);
      mids.push(String(r.headers['x-message-id']));
    }
    // Both threads answered some of them.
    const threads = await perThread(s);
    expect(threads.get(0)?.sends ?? 0).toBeGreaterThan(0);
    expect(threads.get(1)?.sends ?? 0).toBeGreaterThan(0);
    // A scrape answered by either thread counts every thread's answers (each thread's series
    // labelled; a worker's reach the main thread within a quarter second).
    for (const answering of [0, 1]) {
      let text = '';
      let counted = 0;
      for (let i = 0; i < 100 && counted !== mids.length; i += 1) {
        const got = await fresh(s, 'GET', '/metrics');
        if (gauge(got.text, 'msgxc_http_thread') !== answering) continue;
        text = got.text;
        counted = answeredOn(text, 0, '/api/v2/send', '200') + answeredOn(text, 1, '/api/v2/send', '200');
        if (counted !== mids.length) await new Promise((r) => setTimeout(r, 100));
      }
      expect(counted, `scrape answered by thread ${String(answering)}`).toBe(mids.length);
      expect(text.match(/^# TYPE msgxc_http_requests_total counter$/gm)).toHaveLength(1);
    }
    // A read on either thread (consistent by default) sees every one.
    const inbox = async (): Promise<string[]> => {
      const r = await fresh(up(), 'GET', '/api/v2/inbox?limit=100', { token: bob });
      expect(r.status).toBe(200);
      return (JSON.parse(r.text) as { messages: { mid: string }[] }).messages.map((m) => m.mid);
    };
    for (let i = 0; i < 6; i += 1) expect((await inbox()).sort()).toEqual([...mids].sort());
    // 2xx meant fsynced: a kill -9 and a restart on the same data keep every one.
    await s.stop('SIGKILL');
    server = await startServer({ dataDir: s.dataDir, env });
    sockets.length = 0;
    expect((await inbox()).sort()).toEqual([...mids].sort());
  });

  it('a rebuild asked of any thread moves both threads to the new read-model generation', async () => {
    const s = up();
    expect((await fresh(s, 'POST', '/api/v2/admin/rebuild', { token: admin })).status).toBe(202);
    let finished = false;
    for (let i = 0; i < 600 && !finished; i += 1) {
      const st = JSON.parse((await fresh(s, 'GET', '/api/v2/admin/stats', { token: admin })).text) as {
        rebuild: { running: boolean; finishedAt?: string };
      };
      finished = !st.rebuild.running && st.rebuild.finishedAt !== undefined;
      if (!finished) await new Promise((r) => setTimeout(r, 50));
    }
    expect(finished).toBe(true);
    // Written after the switch: a thread still reading the previous generation would not see it.
    const r = await fresh(s, 'POST', '/api/v2/send', {
      token: admin,
      body: { uid: 'carol', msg: 'after the rebuild' },
    });
    expect(r.status).toBe(200);
    const mid = String(r.headers['x-message-id']);
    const carol = await token('carol');
    for (let i = 0; i < 12; i += 1) {
      const inbox = await fresh(s, 'GET', '/api/v2/inbox', { token: carol });
      expect((JSON.parse(inbox.text) as { messages: { mid: string }[] }).messages.map((m) => m.mid)).toEqual([mid]);
    }
    const threads = await perThread(s);
    expect([...threads.keys()].sort()).toEqual([0, 1]);
  });
});

// A worker thread that fails (here: an uncaught exception, the crash drill) takes its sockets with
// it; the port stays served by the main thread, the node logs it and starts the worker again
// after a second, and presence forgets the dead thread's sessions. In-process, on the built
// broker (dist/), to reach the thread.
describe('MSGXC_HTTP_THREADS=2: a worker thread that dies', () => {
  const dataDir = tempDir();
  const errors: string[] = [];
  let broker: Broker | undefined;
  const sockets: TestSocket[] = [];
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await broker?.close();
    removeDir(dataDir);
  });

  it('is restarted; its sockets close, the others stay, requests keep being answered', async () => {
    const { startBroker } = (await import(join(DIST, 'app/node.js'))) as typeof import('../../app/node.js');
    const { configFromEnv } = (await import(join(DIST, 'schema/config.js'))) as typeof import('../../schema/config.js');
    const config = configFromEnv({
      MSGXC_PORT: '0',
      MSGXC_DATA_DIR: dataDir,
      MSGXC_JWT_SECRET: SECRET,
      MSGXC_HTTP_THREADS: '2',
      MSGXC_PRESENCE_HEARTBEAT_MS: '300',
    });
    if (E.isLeft(config)) throw new Error(config.left.join());
    const quiet = (): void => undefined;
    const log: Logger = {
      debug: quiet,
      info: quiet,
      warn: (a: object | string, msg?: string) => {
        errors.push(`WARN ${typeof a === 'string' ? a : `${msg ?? ''} ${JSON.stringify(a)}`} at ${Date.now()}`);
      },
      error: (a: object | string, msg?: string) => {
        errors.push(typeof a === 'string' ? a : (msg ?? ''));
      },
    };
    broker = await startBroker(config.right, log);
    const threads = broker.httpThreads;
    if (threads === undefined) throw new Error('no HTTP threads');
    const server = { port: broker.port };
    const admin = await token('admin', ['admin']);
    const t0 = Date.now();
    for (let i = 0; i < CONNECTIONS; i += 1)
      sockets.push(
        await openLive(server, await token(`k${i}`)).catch((e: unknown) => {
          throw new Error(
            `first socket k${i} at +${Date.now() - t0} ms: ${e instanceof Error ? e.message : String(e)} ${errors.join('; ')}`,
          );
        }),
      );
    const nodeOf = async (uid: string): Promise<string[]> =>
      (
        JSON.parse((await fresh(server, 'GET', `/api/v2/presence/${uid}`, { token: admin })).text) as {
          nodes: { node: string }[];
        }
      ).nodes.map((n) => n.node);
    const onWorker: number[] = [];
    for (let i = 0; i < CONNECTIONS; i += 1) {
      let nodes: string[] = [];
      for (let tries = 0; tries < 50 && nodes.length !== 1; tries += 1) {
        nodes = await nodeOf(`k${i}`);
        if (nodes.length !== 1) await new Promise((r) => setTimeout(r, 50));
      }
      expect(nodes, `k${i}`).toHaveLength(1);
      if (nodes[0]?.endsWith('-http1') === true) onWorker.push(i);
    }
    expect(onWorker.length).toBeGreaterThan(0);
    expect(onWorker.length).toBeLessThan(CONNECTIONS);

    threads.crash(1);
    const closed = await Promise.all(
      onWorker.map((i) => sockets[i]?.closed ?? Promise.reject(new Error(`no socket ${i}`))),
    );
    expect(closed).toHaveLength(onWorker.length);
    // The main thread's sockets are untouched and still live.
    const r = await fresh(server, 'POST', '/api/v2/broadcast', { token: admin, body: { msg: 'after the crash' } });
    expect(r.status).toBe(200);
    const mid = String(r.headers['x-message-id']);
    const kept = sockets.filter((_, i) => !onWorker.includes(i));
    // Each wait says which socket it was (a rare timeout here has not been explained yet).
    const labelled = (what: string) => (e: unknown) => {
      throw new Error(`${what}: ${e instanceof Error ? e.message : String(e)} ${errors.join('; ')}`);
    };
    await Promise.all(
      kept.map((ws, i) =>
        ws.next((f) => f.type === 'message' && f.mid === mid).catch(labelled(`kept main-thread socket ${i}`)),
      ),
    );
    // Presence forgets the dead thread's users (its heartbeats stopped).
    for (const i of onWorker) {
      let nodes = await nodeOf(`k${i}`);
      for (let tries = 0; tries < 100 && nodes.length > 0; tries += 1) {
        await new Promise((res) => setTimeout(res, 50));
        nodes = await nodeOf(`k${i}`);
      }
      expect(nodes, `k${i}`).toEqual([]);
    }
    // Restarted: thread 1 answers again, and a socket that lands there gets live frames.
    let seen = await perThread(server);
    for (let tries = 0; tries < 20 && seen.size < 2; tries += 1) {
      await new Promise((res) => setTimeout(res, 500));
      seen = await perThread(server);
    }
    expect([...seen.keys()].sort(), errors.join('\n')).toEqual([0, 1]);
    expect(errors.join('\n')).toMatch(/HTTP thread exited; starting it again/);
    const fresh2 = await Promise.all(
      Array.from({ length: 16 }, async (_, i) =>
        openLive(server, await token(`r${i}`)).catch(labelled(`opening socket r${i} after the restart`)),
      ),
    );
    sockets.push(...fresh2);
    const again = await fresh(server, 'POST', '/api/v2/broadcast', {
      token: admin,
      body: { msg: 'after the restart' },
    });
    const mid2 = String(again.headers['x-message-id']);
    await Promise.all(
      fresh2.map((ws, i) =>
        ws.next((f) => f.type === 'message' && f.mid === mid2).catch(labelled(`socket r${i} opened after the restart`)),
      ),
    );
    // Presence hears of a worker's new session at its next flush: asked until each is known.
    const where: string[] = [];
    for (let i = 0; i < 16; i += 1) {
      let nodes = await nodeOf(`r${i}`);
      for (let tries = 0; tries < 100 && nodes.length !== 1; tries += 1) {
        await new Promise((res) => setTimeout(res, 50));
        nodes = await nodeOf(`r${i}`);
      }
      where.push(...nodes);
    }
    expect(where).toHaveLength(16);
    expect(where.some((n) => n.endsWith('-http1'))).toBe(true);
  });
});

// The rate limits' buckets are the node's, not each thread's (api/shared-buckets.ts): a user
// (or an address failing authentication) spreading requests over many connections, which the
// kernel spreads over both threads, still gets one budget: at most burst + refill over the
// elapsed time, however the requests fell between the threads.
// Node aborts the whole process (SIGABRT, "uv_loop_close() while having open handles") when a
// worker thread ends with uWS sockets open, and closing the listen socket leaves the idle
// keep-alive connections open: every stop with a client's pool connected to a worker died so.
describe('MSGXC_HTTP_THREADS=2: a node that stops', () => {
  it('exits 0 with keep-alive connections and websockets open on both threads', async () => {
    const server = await startServer({ env: { MSGXC_HTTP_THREADS: '2', MSGXC_LOG_LEVEL: 'warn' } });
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    try {
      // A pool of keep-alive connections, asked until both threads have answered on it.
      const answered = new Set<number>();
      for (let round = 0; round < 20 && answered.size < 2; round += 1) {
        const texts = await Promise.all(
          Array.from(
            { length: 32 },
            () =>
              new Promise<string>((resolve, reject) => {
                const req = request({ host: '127.0.0.1', port: server.port, path: '/metrics', agent }, (res) => {
                  let text = '';
                  res.on('data', (d: Buffer) => {
                    text += d.toString();
                  });
                  res.on('end', () => {
                    resolve(text);
                  });
                });
                req.on('error', reject);
                req.end();
              }),
          ),
        );
        for (const t of texts) answered.add(gauge(t, 'msgxc_http_thread'));
      }
      expect([...answered].sort()).toEqual([0, 1]);
      const sockets = await Promise.all(
        Array.from({ length: 8 }, async (_, i) => openLive(server, await token(`stop${i}`))),
      );
      expect(sockets).toHaveLength(8);
      const code = await server.stop();
      expect(server.output()).not.toMatch(/uv_loop_close|Assertion failed/);
      expect(code).toBe(0);
    } finally {
      agent.destroy();
      await server.stop('SIGKILL');
      removeDir(server.dataDir);
    }
  });
});

describe('MSGXC_HTTP_THREADS=2: the rate limits are per node', () => {
  let server: Server | undefined;
  const rate = { perSec: 0.5, burst: 6 };
  const REQUESTS = 30;
  beforeAll(async () => {
    server = await startServer({
      env: {
        MSGXC_HTTP_THREADS: '2',
        MSGXC_LOG_LEVEL: 'warn',
        MSGXC_RATE_USER_WRITES: `${rate.perSec}:${rate.burst}`,
        MSGXC_RATE_IP: `${rate.perSec}:${rate.burst}`,
      },
    });
  });
  afterAll(async () => {
    if (server !== undefined) {
      await server.stop();
      removeDir(server.dataDir);
    }
  });
  const up = (): Server => {
    if (server === undefined) throw new Error('the server did not start');
    return server;
  };
  /** Requests on `route` each thread answered, every status together. */
  const answeredBy = async (route: string): Promise<number[]> => {
    const seen = new Map<number, number>();
    for (let i = 0; i < 200 && seen.size < 2; i += 1) {
      const text = (await fresh(up(), 'GET', '/metrics')).text;
      const thread = gauge(text, 'msgxc_http_thread');
      seen.set(thread, answeredOn(text, thread, route));
    }
    return [seen.get(0) ?? 0, seen.get(1) ?? 0];
  };
  /** Sends `REQUESTS` requests, each on a connection of its own: the statuses, and the most tokens refilled meanwhile. */
  const spread = async (send: (i: number) => Promise<Answer>): Promise<{ answers: Answer[]; refill: number }> => {
    const began = Date.now();
    const answers: Answer[] = [];
    for (let i = 0; i < REQUESTS; i += 1) answers.push(await send(i));
    return { answers, refill: Math.ceil(((Date.now() - began) / 1000) * rate.perSec) };
  };

  it("a user's commands over many connections, answered by both threads, spend one budget", async () => {
    const erin = await token('erin');
    const { answers, refill } = await spread((i) =>
      fresh(up(), 'POST', '/api/v2/threads', { token: erin, body: { tid: `per-node-${RUN}-${i}` } }),
    );
    const [main, worker] = await answeredBy('/api/v2/threads');
    expect(main).toBeGreaterThan(0);
    expect(worker).toBeGreaterThan(0);
    expect((main ?? 0) + (worker ?? 0)).toBe(REQUESTS);
    const created = answers.filter((a) => a.status === 201).length;
    expect(created).toBeGreaterThanOrEqual(rate.burst);
    expect(created).toBeLessThanOrEqual(rate.burst + refill);
    const refused = answers.filter((a) => a.status !== 201);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.status).toBe(429);
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect((JSON.parse(r.text) as { msg: string }).msg).toMatch(
        /^rate limit user-writes exceeded: 0\.5 per second, burst 6 \(MSGXC_RATE_USER_WRITES\); retry after [12] s$/,
      );
    }
  });

  it("an address's failed authentications over many connections spend one budget", async () => {
    const { answers, refill } = await spread(() => fresh(up(), 'GET', '/api/v2/inbox', { token: 'not-a-token' }));
    const [main, worker] = await answeredBy('/api/v2/inbox');
    expect(main).toBeGreaterThan(0);
    expect(worker).toBeGreaterThan(0);
    const failed = answers.filter((a) => a.status === 401).length;
    expect(failed).toBeGreaterThanOrEqual(rate.burst);
    expect(failed).toBeLessThanOrEqual(rate.burst + refill);
    expect(answers.filter((a) => a.status !== 401).every((a) => a.status === 429)).toBe(true);
  });
});
