// Fan-out benchmark: one thread with N subscribed websocket connections, ~100-byte messages
// published through the HTTP API, against a bare uWS app.publish loop to the same number of
// connections from the same load client, in one run; then memory per idle connection.
// The load client is a compiled Go program (bench/fanout-client) in its own process; its CPU
// is measured so it can be shown not to be the bottleneck.
// Run: `bash bench/fanout.sh` (raises the open-file limit, builds, runs this).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openThreadFor, post, SECRET, startBroker } from './broker.js';
import { client, lines, nowNs, pool, procCpuS, ROOT, rssKb, sleep, type Stats } from './loadclient.js';

const N = Number(process.env['BENCH_CONNECTIONS'] ?? 10_000);
const MESSAGES = Number(process.env['BENCH_MESSAGES'] ?? 200);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 8);
// 20,000 unless the process file limit (set by bench/fanout.sh) cannot hold that many sockets.
const IDLE = Number(process.env['BENCH_IDLE_CONNECTIONS'] ?? 20_000);

const say = (s: string): void => {
  process.stderr.write(`[fanout] ${s}\n`);
};

const PACED = Number(process.env['BENCH_PACED_MESSAGES'] ?? 30);
const PACE_MS = Number(process.env['BENCH_PACE_MS'] ?? 200);

interface Phase {
  delivered: number;
  seconds: number;
  rate: number;
  p50ms: number;
  p99ms: number;
  clientCpu: number;
  serverCpu: number;
}

const phase = (s: Stats, expected: number, firstNs: number, clientCpuBefore: number, serverCpu: number): Phase => {
  const seconds = (s.last_ns - firstNs) / 1e9;
  const clientCpu = s.cpu_user_s + s.cpu_sys_s - clientCpuBefore;
  if (s.received < expected) say(`only ${s.received} of ${expected} deliveries arrived`);
  return {
    delivered: s.received,
    seconds,
    rate: s.received / seconds,
    p50ms: s.p50_us / 1000,
    p99ms: s.p99_us / 1000,
    clientCpu: clientCpu / seconds,
    serverCpu: serverCpu / seconds,
  };
};

/** Latency when not saturated: one message every PACE_MS. */
const paced = async (c: ReturnType<typeof client>, publishOne: () => Promise<unknown>, pid: number): Promise<Phase> => {
  await c.reset();
  const before = await c.stats();
  const cpu0 = procCpuS(pid);
  const first = nowNs();
  for (let i = 0; i < PACED; i += 1) {
    await publishOne();
    await sleep(PACE_MS);
  }
  const s = await c.until(PACED * N);
  return phase(s, PACED * N, first, before.cpu_user_s + before.cpu_sys_s, procCpuS(pid) - cpu0);
};

const brokerRun = async (): Promise<{ saturated: Phase; paced: Phase }> => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-fanout-'));
  const { proc, port } = await startBroker(dir);
  const base = `http://127.0.0.1:${port}`;
  try {
    let t = Date.now();
    const admin = await openThreadFor(base, 'bench', N, 'bench-u');
    say(`${N} users subscribed in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    t = Date.now();
    const c = client(`ws://127.0.0.1:${port}/api/v2/ws`, N, { secret: SECRET, prefix: 'bench-u', ready: 'unseen' });
    await c.connect();
    say(
      `${N} sessions live in ${((Date.now() - t) / 1000).toFixed(1)} s; broker RSS ${Math.round(rssKb(proc.pid ?? 0) / 1024)} MiB`,
    );
    const publish = (): Promise<void> =>
      post(base, '/api/v2/publish', admin, { tid: 'bench', msg: `t=${nowNs()};`.padEnd(100, 'x') });
    await pool(10, 2, publish);
    await c.until(10 * N);
    await c.reset();
    const before = await c.stats();
    const cpu0 = procCpuS(proc.pid ?? 0);
    const first = nowNs();
    await pool(MESSAGES, CONCURRENCY, publish);
    const s = await c.until(MESSAGES * N);
    const result = phase(s, MESSAGES * N, first, before.cpu_user_s + before.cpu_sys_s, procCpuS(proc.pid ?? 0) - cpu0);
    const light = await paced(c, () => publish(), proc.pid ?? 0);
    await c.close();
    c.quit();
    return { saturated: result, paced: light };
  } finally {
    proc.kill('SIGTERM');
    await sleep(500);
    rmSync(dir, { recursive: true, force: true });
  }
};

const baselineRun = async (): Promise<{ saturated: Phase; paced: Phase }> => {
  const proc = spawn(process.execPath, [join(ROOT, 'dist/bench/fanout-baseline.js')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const next = lines(proc);
  const port = Number((await next((l) => l.startsWith('listening'))).split(' ')[1]);
  try {
    const c = client(`ws://127.0.0.1:${port}/api/v2/ws`, N, { ready: 'hello' });
    await c.connect();
    const publish = async (n: number): Promise<number> =>
      Number(await (await fetch(`http://127.0.0.1:${port}/publish?n=${n}`)).text());
    await publish(10);
    await c.until(10 * N);
    await c.reset();
    const before = await c.stats();
    const cpu0 = procCpuS(proc.pid ?? 0);
    const first = await publish(MESSAGES);
    const s = await c.until(MESSAGES * N);
    const result = phase(s, MESSAGES * N, first, before.cpu_user_s + before.cpu_sys_s, procCpuS(proc.pid ?? 0) - cpu0);
    const light = await paced(c, () => publish(1), proc.pid ?? 0);
    await c.close();
    c.quit();
    return { saturated: result, paced: light };
  } finally {
    proc.kill('SIGTERM');
  }
};

interface Idle {
  connections: number;
  coldKb: number;
  firstPassKb: number;
  steps: { connections: number; rssKb: number }[];
  perConnBytes: number;
  firstPassPerConnBytes: number;
}

// Least-squares slope of RSS over connections: robust to one noisy reading.
const slope = (points: readonly { connections: number; rssKb: number }[]): number => {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.connections, 0) / n;
  const my = points.reduce((a, p) => a + p.rssKb, 0) / n;
  const num = points.reduce((a, p) => a + (p.connections - mx) * (p.rssKb - my), 0);
  const den = points.reduce((a, p) => a + (p.connections - mx) ** 2, 0);
  return (num / den) * 1024;
};

const idleMemory = async (): Promise<Idle> => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-idle-'));
  const { proc, port, gc } = await startBroker(dir, { inspect: true });
  const pid = proc.pid ?? 0;
  const rssAfterGc = async (): Promise<number> => {
    await gc();
    await sleep(500);
    return rssKb(pid);
  };
  const settle = Number(process.env['BENCH_SETTLE_MS'] ?? 10_000);
  try {
    await sleep(3000);
    const coldKb = await rssAfterGc();
    const url = `ws://127.0.0.1:${port}/api/v2/ws`;
    // Four load clients of a quarter each (every process has its own file limit).
    const quarter = Math.ceil(IDLE / 4);
    const sizes = [0, 1, 2, 3].map((k) => Math.max(0, Math.min(quarter, IDLE - k * quarter)));
    const clients = (): ReturnType<typeof client>[] =>
      sizes.map((n, k) => client(url, n, { secret: SECRET, prefix: `idle${k}-u`, ready: 'unseen' }));
    // First pass: every user is new to the broker (recognized once, caches fill).
    let cs = clients();
    for (const c of cs) await c.connect();
    await sleep(settle);
    const firstPassKb = await rssAfterGc();
    for (const c of cs) {
      await c.close();
      c.quit();
    }
    await sleep(settle);
    // Second pass, by quarters: the same users again; the slope is what an idle connection costs.
    const steps = [{ connections: 0, rssKb: await rssAfterGc() }];
    cs = clients();
    let open = 0;
    for (const [k, c] of cs.entries()) {
      await c.connect();
      open += sizes[k] ?? 0;
      await sleep(settle);
      steps.push({ connections: open, rssKb: await rssAfterGc() });
    }
    for (const c of cs) {
      await c.close();
      c.quit();
    }
    // The reading at 0 still holds memory of the first pass's 20,000 closed sockets that the
    // allocator had not given back yet (it drops at the first step): the slope uses the steps
    // with connections open.
    const open4 = steps.filter((p) => p.connections > 0);
    return {
      connections: IDLE,
      coldKb,
      firstPassKb,
      steps,
      perConnBytes: slope(open4),
      firstPassPerConnBytes: ((firstPassKb - coldKb) * 1024) / IDLE,
    };
  } finally {
    proc.kill('SIGTERM');
    await sleep(500);
    rmSync(dir, { recursive: true, force: true });
  }
};

const main = async (): Promise<void> => {
  say(`broker: ${N} connections on one thread, ${MESSAGES} messages over HTTP (${CONCURRENCY} at a time)`);
  const broker = await brokerRun();
  say(`baseline: bare uWS app.publish loop, ${N} connections, ${MESSAGES} messages`);
  const bare = await baselineRun();
  say(`idle memory: ${IDLE} connections`);
  const idle = await idleMemory();
  const row = (name: string, p: Phase): string =>
    `| ${name} | ${Math.round(p.rate).toLocaleString('en')} | ${p.p50ms.toFixed(1)} | ${p.p99ms.toFixed(1)} | ${(p.clientCpu * 100).toFixed(0)}% | ${(p.serverCpu * 100).toFixed(0)}% |`;
  process.stdout.write(
    [
      `fan-out: ${N} connections, one thread, ~100-byte messages; saturated: ${MESSAGES} messages; paced: ${PACED} messages, one every ${PACE_MS} ms`,
      '| path | delivered msgs/s | p50 ms | p99 ms | load client CPU | server CPU |',
      '|---|---|---|---|---|---|',
      row(`broker, HTTP publish, ${CONCURRENCY} in flight (saturated)`, broker.saturated),
      row('bare uWS app.publish loop (saturated)', bare.saturated),
      row('broker, HTTP publish (paced)', broker.paced),
      row('bare uWS app.publish (paced)', bare.paced),
      `ratio broker / bare (saturated): ${(broker.saturated.rate / bare.saturated.rate).toFixed(2)}`,
      `idle memory: ${idle.connections} connections; RSS by connections ${idle.steps.map((p) => `${p.connections}: ${Math.round(p.rssKb / 1024)} MiB`).join(', ')}; ` +
        `slope over the open steps ${(idle.perConnBytes / 1024).toFixed(2)} KB per connection; first connect of ${idle.connections} new users: ` +
        `${(idle.firstPassPerConnBytes / 1024).toFixed(2)} KB per connection (RSS ${Math.round(idle.coldKb / 1024)} -> ${Math.round(idle.firstPassKb / 1024)} MiB)`,
      JSON.stringify({ broker, bare, idle }),
    ].join('\n') + '\n',
  );
};

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
