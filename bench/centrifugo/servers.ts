// The two servers of the comparison, behind one shape: msgxc (the built dist/bin/msgxc.js on
// its embedded defaults) and Centrifugo (the binary bench/centrifugo/install.sh built), each on
// a free 127.0.0.1 port with a data or config folder under `dir`, stopped by its PID.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { openThreadFor, post, SECRET, startBroker } from '../broker.js';
import { type ClientOptions, lines, ROOT, rssKb, sleep } from '../loadclient.js';

export interface Server {
  readonly name: string;
  readonly pid: number;
  readonly wsUrl: string;
  readonly client: ClientOptions;
  /** Publishes one message whose text is `msg` through the server's HTTP API (2xx checked). */
  publish(msg: string): Promise<void>;
  /**
   * A full garbage collection in the server (every thread), then its RSS and the heap its
   * runtime holds free (committed to the heap, not used by live objects, not yet given back).
   */
  memory(): Promise<Memory>;
  stop(): Promise<void>;
}

export interface Memory {
  rssKb: number;
  heapFreeKb: number;
}

export const CHANNEL = 'bench';
const PREFIX = 'bench-u';

const freePort = (): Promise<number> =>
  new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => {
        res(typeof a === 'object' && a !== null ? a.port : 0);
      });
    });
  });

// Every server process started and not yet stopped, for stopAll.
const running = new Set<ChildProcess>();

/** SIGTERM, then SIGKILL if the process has not exited after `graceMs`. */
const stopProcess = async (proc: ChildProcess, graceMs = 15_000): Promise<void> => {
  running.delete(proc);
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((res) => {
    proc.once('exit', () => {
      res();
    });
  });
  proc.kill('SIGTERM');
  const killed = await Promise.race([exited.then(() => false), sleep(graceMs).then(() => true)]);
  if (killed) {
    proc.kill('SIGKILL');
    await exited;
  }
};

/** msgxc with N users subscribed to the thread (env: e.g. MSGXC_REACTORS). */
export const startMsgxc = async (
  name: string,
  dir: string,
  n: number,
  env: Record<string, string>,
  /** Another checkout with a built dist/ (a baseline), instead of this one. */
  root?: string,
): Promise<Server> => {
  const broker = await startBroker(dir, { inspect: true, env, ...(root === undefined ? {} : { root }) });
  running.add(broker.proc);
  const base = `http://127.0.0.1:${broker.port}`;
  try {
    const admin = await openThreadFor(base, CHANNEL, n, PREFIX);
    return {
      name,
      pid: broker.proc.pid ?? 0,
      wsUrl: `ws://127.0.0.1:${broker.port}/api/v2/ws`,
      client: { mode: 'msgxc', secret: SECRET, prefix: PREFIX, ready: 'unseen' },
      publish: (msg) => post(base, '/api/v2/publish', admin, { tid: CHANNEL, msg }),
      memory: async () => {
        const heaps = await broker.heaps();
        return { rssKb: rssKb(broker.proc.pid ?? 0), heapFreeKb: heaps.freeBytes / 1024 };
      },
      stop: () => stopProcess(broker.proc),
    };
  } catch (e) {
    await stopProcess(broker.proc);
    throw e;
  }
};

const API_KEY = 'bench-api-key-0123456789';

/** The whole Centrifugo configuration: JWT secret, API key, and nothing a benchmark does not need. */
const centrifugoConfig = (port: number): object => ({
  http_server: { address: '127.0.0.1', port },
  log: { level: 'warn' },
  client: { token: { hmac_secret_key: SECRET } },
  http_api: { key: API_KEY },
  health: { enabled: true },
  // /debug/pprof/heap?gc=1 runs a garbage collection, as the inspector does for msgxc.
  debug: { enabled: true },
  usage_stats: { disabled: true },
});

/**
 * The bare uWS loop (bench/fanout-baseline.ts): an HTTP publish becomes one app.publish to the
 * topic every connection is on, nothing durable and no broker behind it: the floor the issue's
 * "at most 1.5x the bare loop" is measured against, on the same publish -> receive path.
 */
export const startBareUws = async (): Promise<Server> => {
  const proc = spawn(process.execPath, [join(ROOT, 'dist/bench/fanout-baseline.js')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  running.add(proc);
  const line = await lines(proc)((l) => l.startsWith('listening'));
  const base = `http://127.0.0.1:${line.split(' ')[1] ?? ''}`;
  return {
    name: 'bare uWS',
    pid: proc.pid ?? 0,
    wsUrl: `${base.replace('http', 'ws')}/api/v2/ws`,
    client: { mode: 'msgxc', secret: SECRET, prefix: PREFIX, ready: 'hello' },
    publish: async (msg) => {
      const r = await fetch(`${base}/api/v2/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ tid: CHANNEL, msg }),
      });
      if (!r.ok) throw new Error(`bare uWS publish: ${r.status}`);
      await r.text();
    },
    memory: () => Promise.resolve({ rssKb: rssKb(proc.pid ?? 0), heapFreeKb: Number.NaN }),
    stop: () => stopProcess(proc),
  };
};

/** Stops every server still running (each by its PID): for an interrupted run. */
export const stopAll = async (): Promise<void> => {
  await Promise.all([...running].map((p) => stopProcess(p)));
};

export const startCentrifugo = async (bin: string, dir: string): Promise<Server> => {
  const port = await freePort();
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify(centrifugoConfig(port), null, 2));
  const log = createWriteStream(join(dir, 'centrifugo.log'));
  const proc = spawn(bin, ['--config', config], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  proc.stdout.pipe(log);
  proc.stderr.pipe(log);
  const base = `http://127.0.0.1:${port}`;
  // Ready when /health answers; fail at once if the process exits first.
  for (let attempt = 0; ; attempt += 1) {
    if (proc.exitCode !== null)
      throw new Error(`centrifugo exited (${proc.exitCode}); see ${join(dir, 'centrifugo.log')}`);
    const ok = await fetch(`${base}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (attempt > 300) {
      await stopProcess(proc);
      throw new Error(`centrifugo did not answer ${base}/health in 30 s`);
    }
    await sleep(100);
  }
  return {
    name: 'Centrifugo',
    pid: proc.pid ?? 0,
    wsUrl: `ws://127.0.0.1:${port}/connection/websocket`,
    client: { mode: 'centrifugo', secret: SECRET, prefix: PREFIX, channel: CHANNEL },
    publish: async (msg) => {
      const r = await fetch(`${base}/api/publish`, {
        method: 'POST',
        headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ channel: CHANNEL, data: { msg } }),
      });
      // Centrifugo answers API errors with 200 and an `error` member.
      const text = await r.text();
      if (!r.ok || text.includes('"error"')) throw new Error(`centrifugo publish: ${r.status} ${text}`);
    },
    memory: async () => {
      // runtime.GC() first (gc=1); debug=1 ends with runtime.MemStats as "# Name = value" lines.
      const stats = await (await fetch(`${base}/debug/pprof/heap?gc=1&debug=1`)).text();
      const stat = (name: string): number => Number(new RegExp(`# ${name} = (\\d+)`).exec(stats)?.[1] ?? Number.NaN);
      return { rssKb: rssKb(proc.pid ?? 0), heapFreeKb: (stat('HeapIdle') - stat('HeapReleased')) / 1024 };
    },
    stop: () => stopProcess(proc),
  };
};
