// Fan-out benchmark: one thread with N subscribed websocket connections, ~100-byte messages
// published through the HTTP API, against a bare uWS app.publish loop to the same number of
// connections from the same load client, in one run; then memory per idle connection.
// The load client is a compiled Go program (bench/fanout-client) in its own process; its CPU
// is measured so it can be shown not to be the bottleneck.
// Run: `bash bench/fanout.sh` (raises the open-file limit, builds, runs this).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { SignJWT } from 'jose';

const SECRET = 'bench-secret-0123456789-0123456789-abcdef';
const N = Number(process.env['BENCH_CONNECTIONS'] ?? 10_000);
const MESSAGES = Number(process.env['BENCH_MESSAGES'] ?? 200);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 8);
// 20,000 unless the process file limit (set by bench/fanout.sh) cannot hold that many sockets.
const IDLE = Number(process.env['BENCH_IDLE_CONNECTIONS'] ?? 20_000);
const ROOT = resolve(import.meta.dirname, '../..');
const CLIENT = join(ROOT, 'dist/bench/fanout-client');

interface Stats { received: number; p50_us: number; p99_us: number; max_us: number; first_ns: number; last_ns: number; cpu_user_s: number; cpu_sys_s: number }

const nowNs = (): number => Math.round((performance.timeOrigin + performance.now()) * 1e6);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const say = (s: string): void => { process.stderr.write(`[fanout] ${s}\n`); };

const procCpuS = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(f[11]) + Number(f[12])) / 100;
};
const rssKb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

const lines = (proc: ChildProcess): ((match: (l: string) => boolean) => Promise<string>) => {
  const seen: string[] = [];
  const waiters = new Set<() => void>();
  if (proc.stdout === null) throw new Error('no stdout');
  createInterface({ input: proc.stdout }).on('line', (l) => { seen.push(l); for (const w of waiters) w(); });
  return (match) => new Promise((res) => {
    const check = (): boolean => {
      const i = seen.findIndex(match);
      if (i < 0) return false;
      res(seen.splice(i, 1)[0] ?? '');
      return true;
    };
    if (check()) return;
    const w = (): void => { if (check()) waiters.delete(w); };
    waiters.add(w);
  });
};

const startBroker = async (dataDir: string): Promise<{ proc: ChildProcess; port: number }> => {
  const proc = spawn(process.execPath, [join(ROOT, 'dist/bin/msgxc.js')], {
    env: { ...process.env, MSGXC_PORT: '0', MSGXC_DATA_DIR: dataDir, MSGXC_JWT_SECRET: SECRET, MSGXC_LOG_LEVEL: 'warn', MSGXC_WS_MAX_SESSIONS_PER_USER: '4' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await lines(proc)((l) => l.startsWith('msgxc listening'));
  return { proc, port: Number(/:(\d+) /.exec(line)?.[1]) };
};

const client = (url: string, n: number, opts: { secret?: string; prefix?: string; ready: string }) => {
  const proc = spawn(CLIENT, ['-url', url, '-n', String(n), '-secret', opts.secret ?? '', '-prefix', opts.prefix ?? 'u', '-ready', opts.ready], { stdio: ['pipe', 'pipe', 'inherit'] });
  const next = lines(proc);
  const cmd = async (c: string, event: string): Promise<Record<string, unknown>> => {
    proc.stdin.write(`${c}\n`);
    return JSON.parse(await next((l) => l.includes(`"event":"${event}"`))) as Record<string, unknown>;
  };
  return {
    proc,
    connect: async () => {
      const r = await cmd('connect', 'connected');
      if (Number(r['failed']) > 0) throw new Error(`${String(r['failed'])} connections failed: ${String(r['error'])}`);
    },
    reset: () => cmd('reset', 'reset'),
    stats: async () => (await cmd('stats', 'stats')) as unknown as Stats,
    close: () => cmd('close', 'closed'),
    quit: () => { proc.stdin.write('quit\n'); },
    /** Polls until `expected` messages arrived (or the time is up), then returns the stats. */
    until: async function (expected: number, timeoutMs = 120_000): Promise<Stats> {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const s = await this.stats();
        if (s.received >= expected || Date.now() > end) return s;
        await sleep(200);
      }
    },
  };
};

const tokenFor = (sub: string, roles: string[] = []): Promise<string> =>
  new SignJWT({ roles }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime('2h').sign(Buffer.from(SECRET));

const post = async (base: string, path: string, token: string, body: unknown): Promise<void> => {
  const r = await fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (r.status >= 300) throw new Error(`${path}: ${r.status} ${await r.text()}`);
};

const pool = async (count: number, concurrency: number, job: (i: number) => Promise<void>): Promise<void> => {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) { const i = next; next += 1; await job(i); }
  }));
};

interface Phase { delivered: number; seconds: number; rate: number; p50ms: number; p99ms: number; clientCpu: number; serverCpu: number }

const phase = (s: Stats, expected: number, firstNs: number, clientCpuBefore: number, serverCpu: number): Phase => {
  const seconds = (s.last_ns - firstNs) / 1e9;
  const clientCpu = s.cpu_user_s + s.cpu_sys_s - clientCpuBefore;
  if (s.received < expected) say(`only ${s.received} of ${expected} deliveries arrived`);
  return { delivered: s.received, seconds, rate: s.received / seconds, p50ms: s.p50_us / 1000, p99ms: s.p99_us / 1000, clientCpu: clientCpu / seconds, serverCpu: serverCpu / seconds };
};

const brokerRun = async (): Promise<Phase> => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-fanout-'));
  const { proc, port } = await startBroker(dir);
  const base = `http://127.0.0.1:${port}`;
  try {
    const admin = await tokenFor('admin', ['admin']);
    await post(base, '/api/v2/threads', admin, { tid: 'bench', opens: true });
    let t = Date.now();
    const tokens = await Promise.all(Array.from({ length: N }, (_, i) => tokenFor(`bench-u${i}`)));
    // One stream takes every subscription: few at a time, retrying the writes that lost a race.
    const subscribe = async (i: number): Promise<void> => {
      for (let attempt = 0; ; attempt += 1) {
        try { await post(base, '/api/v2/subscribe', tokens[i] ?? '', { tid: 'bench' }); return; } catch (e) { if (attempt > 20) throw e; }
      }
    };
    await pool(N, 4, subscribe);
    say(`${N} users subscribed in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    t = Date.now();
    const c = client(`ws://127.0.0.1:${port}/api/v2/ws`, N, { secret: SECRET, prefix: 'bench-u', ready: 'unseen' });
    await c.connect();
    say(`${N} sessions live in ${((Date.now() - t) / 1000).toFixed(1)} s; broker RSS ${Math.round(rssKb(proc.pid ?? 0) / 1024)} MiB`);
    const publish = (): Promise<void> => post(base, '/api/v2/publish', admin, { tid: 'bench', msg: `t=${nowNs()};`.padEnd(100, 'x') });
    await pool(10, 2, publish);
    await c.until(10 * N);
    await c.reset();
    const before = await c.stats();
    const cpu0 = procCpuS(proc.pid ?? 0);
    const first = nowNs();
    await pool(MESSAGES, CONCURRENCY, publish);
    const s = await c.until(MESSAGES * N);
    const result = phase(s, MESSAGES * N, first, before.cpu_user_s + before.cpu_sys_s, procCpuS(proc.pid ?? 0) - cpu0);
    await c.close();
    c.quit();
    return result;
  } finally {
    proc.kill('SIGTERM');
    await sleep(500);
    rmSync(dir, { recursive: true, force: true });
  }
};

const baselineRun = async (): Promise<Phase> => {
  const proc = spawn(process.execPath, [join(ROOT, 'dist/bench/fanout-baseline.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const next = lines(proc);
  const port = Number((await next((l) => l.startsWith('listening'))).split(' ')[1]);
  try {
    const c = client(`ws://127.0.0.1:${port}/api/v2/ws`, N, { ready: 'hello' });
    await c.connect();
    const publish = async (n: number): Promise<number> => Number(await (await fetch(`http://127.0.0.1:${port}/publish?n=${n}`)).text());
    await publish(10);
    await c.until(10 * N);
    await c.reset();
    const before = await c.stats();
    const cpu0 = procCpuS(proc.pid ?? 0);
    const first = await publish(MESSAGES);
    const s = await c.until(MESSAGES * N);
    const result = phase(s, MESSAGES * N, first, before.cpu_user_s + before.cpu_sys_s, procCpuS(proc.pid ?? 0) - cpu0);
    await c.close();
    c.quit();
    return result;
  } finally {
    proc.kill('SIGTERM');
  }
};

const idleMemory = async (): Promise<{ connections: number; baseKb: number; loadedKb: number; perConnBytes: number; firstPassPerConnBytes: number }> => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-idle-'));
  const { proc, port } = await startBroker(dir);
  try {
    await sleep(1000);
    const cold = rssKb(proc.pid ?? 0);
    const url = `ws://127.0.0.1:${port}/api/v2/ws`;
    // Load clients of at most 10,000 connections each (every process has its own file limit).
    const clients = (): ReturnType<typeof client>[] => Array.from({ length: Math.ceil(IDLE / 10_000) }, (_, k) =>
      client(url, Math.min(10_000, IDLE - k * 10_000), { secret: SECRET, prefix: `idle${k}-u`, ready: 'unseen' }));
    const cycle = async (settleMs: number): Promise<number> => {
      const cs = clients();
      for (const c of cs) await c.connect();
      await sleep(settleMs);
      const rss = rssKb(proc.pid ?? 0);
      for (const c of cs) { await c.close(); c.quit(); }
      return rss;
    };
    // First pass: each user is new to the broker (recognized once, caches warm up).
    const firstPass = await cycle(2000);
    await sleep(3000);
    const base = rssKb(proc.pid ?? 0);
    // Second pass: the same users again; the difference is what an idle connection costs.
    const loaded = await cycle(3000);
    return { connections: IDLE, baseKb: base, loadedKb: loaded, perConnBytes: ((loaded - base) * 1024) / IDLE, firstPassPerConnBytes: ((firstPass - cold) * 1024) / IDLE };
  } finally {
    proc.kill('SIGTERM');
    await sleep(500);
    rmSync(dir, { recursive: true, force: true });
  }
};

const main = async (): Promise<void> => {
  if (!existsSync(CLIENT)) execFileSync('go', ['build', '-o', CLIENT, '.'], { cwd: join(ROOT, 'bench/fanout-client'), stdio: 'inherit' });
  say(`broker: ${N} connections on one thread, ${MESSAGES} messages over HTTP (${CONCURRENCY} at a time)`);
  const broker = await brokerRun();
  say(`baseline: bare uWS app.publish loop, ${N} connections, ${MESSAGES} messages`);
  const bare = await baselineRun();
  say(`idle memory: ${IDLE} connections`);
  const idle = await idleMemory();
  const row = (name: string, p: Phase): string =>
    `| ${name} | ${Math.round(p.rate).toLocaleString('en')} | ${p.p50ms.toFixed(1)} | ${p.p99ms.toFixed(1)} | ${(p.clientCpu * 100).toFixed(0)}% | ${(p.serverCpu * 100).toFixed(0)}% |`;
  process.stdout.write([
    `fan-out: ${N} connections, one thread, ${MESSAGES} messages of ~100 bytes`,
    '| path | delivered msgs/s | p50 ms | p99 ms | load client CPU | server CPU |',
    '|---|---|---|---|---|---|',
    row(`HTTP publish -> broker (${CONCURRENCY} in flight)`, broker),
    row('bare uWS app.publish loop', bare),
    `ratio broker / bare: ${(broker.rate / bare.rate).toFixed(2)}`,
    `idle memory: ${idle.connections} connections, RSS ${Math.round(idle.baseKb / 1024)} -> ${Math.round(idle.loadedKb / 1024)} MiB, ` +
      `${(idle.perConnBytes / 1024).toFixed(2)} KB per connection (first connect of new users: ${(idle.firstPassPerConnBytes / 1024).toFixed(2)} KB)`,
    JSON.stringify({ broker, bare, idle }),
  ].join('\n') + '\n');
};

main().catch((e: unknown) => { process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`); process.exit(1); });
