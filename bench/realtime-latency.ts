// Realtime publish -> receive latency, one websocket client (issue 11: realtime from the log
// follower). A sender posts `POST /api/v2/send` to one connected user every 100 ms on the
// embedded defaults (delivery on); the time from sending the request to the frame arriving is
// measured in this process (the first 5 dropped as warm-up). Two builds run alternately in
// one script, so their ratio means something on a shared machine: this tree's dist/ and, with
// MSGXC_BENCH_BASELINE=<another checkout with a dist/>, that one (e.g. main built beside it).
// With BENCH_TRACE=1 the brokers run with MSGXC_TRACE_LATENCY=true (app/trace.ts) and each
// round also prints the median time from the request's arrival at the broker to each stage
// of the message's way (decode, handler, append, commit, answer, live follower, fan-out).
//   node dist/bench/realtime-latency.js [rounds=3] [messages=60]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { openThreadFor, post, startBroker, tokenFor } from './broker.js';
import { ROOT } from './loadclient.js';
import { median } from './median.js';

const rounds = Number(process.argv[2] ?? 3);
const messages = Number(process.argv[3] ?? 60);
const WARMUP = 5;

const pct = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

const TRACE = process.env['BENCH_TRACE'] === '1';
// With BENCH_AUDIENCE=N the messages go to a thread (`POST /api/v2/publish`) with N more
// subscribers (offline, so the delivery reactors plan each of them after every message): the
// live path then competes with that planning for the event loop.
const AUDIENCE = Number(process.env['BENCH_AUDIENCE'] ?? 0);

/** Median and largest milliseconds from arrival to each stage, over the traced messages. */
const stageMedians = (traces: readonly Record<string, number>[]): string => {
  const stages = [...new Set(traces.flatMap((t) => Object.keys(t)))];
  return stages
    .map((st) => {
      const xs = traces.map((t) => t[st]).filter((x): x is number => x !== undefined);
      return `${st} ${median(xs).toFixed(2)}/${Math.max(...xs).toFixed(1)}`;
    })
    .join(', ');
};

const once = async (root: string): Promise<{ p50: number; p99: number }> => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-rtlat-'));
  // A message's stages, by its id: its line, then a second one with `flushed` (app/trace.ts).
  const byMid = new Map<string, Record<string, number>>();
  const onStderr = (l: string): void => {
    if (!l.startsWith('{"trace"')) {
      process.stderr.write(`${l}\n`);
      return;
    }
    const t = JSON.parse(l) as { trace: string; ms: Record<string, number>; loopMaxMs?: number };
    const known = byMid.get(t.trace) ?? {};
    byMid.set(t.trace, { ...known, ...t.ms, ...(t.loopMaxMs === undefined ? {} : { loopMaxMs: t.loopMaxMs }) });
  };
  const traces = (): Record<string, number>[] => [...byMid.values()];
  const broker = await startBroker(dir, TRACE ? { root, env: { MSGXC_TRACE_LATENCY: 'true' }, onStderr } : { root });
  try {
    const base = `http://127.0.0.1:${broker.port}`;
    const admin =
      AUDIENCE > 0 ? await openThreadFor(base, 'rt', AUDIENCE, 'rt-aud') : await tokenFor('admin', ['admin']);
    if (AUDIENCE > 0) await post(base, '/api/v2/subscribe', await tokenFor('rt-user'), { tid: 'rt' });
    const ws = new WebSocket(`ws://127.0.0.1:${broker.port}/api/v2/ws`, {
      headers: { authorization: `Bearer ${await tokenFor('rt-user')}` },
    });
    const arrived = new Map<string, number>();
    const waiting = new Map<string, (t: number) => void>();
    let live!: () => void;
    const isLive = new Promise<void>((res) => {
      live = res;
    });
    ws.on('message', (d: Buffer) => {
      const t = performance.now();
      const f = JSON.parse(d.toString('utf8')) as { type: string; msg?: unknown };
      if (f.type === 'unseen') live();
      if (f.type !== 'message' || typeof f.msg !== 'string') return;
      const w = waiting.get(f.msg);
      if (w !== undefined) w(t);
      else arrived.set(f.msg, t);
    });
    await isLive;
    const samples: number[] = [];
    for (let i = 0; i < messages; i += 1) {
      const msg = `m${i}`;
      const received = new Promise<number>((res) => {
        const t = arrived.get(msg);
        if (t !== undefined) res(t);
        else waiting.set(msg, res);
      });
      const t0 = performance.now();
      const r = await fetch(`${base}/api/v2/${AUDIENCE > 0 ? 'publish' : 'send'}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify(AUDIENCE > 0 ? { tid: 'rt', msg } : { uid: 'rt-user', msg }),
      });
      if (r.status !== 200) throw new Error(`send: ${r.status} ${await r.text()}`);
      const t1 = await received;
      if (i >= WARMUP) samples.push(t1 - t0);
      await new Promise((res) => setTimeout(res, Math.max(0, 100 - (performance.now() - t0))));
    }
    ws.close();
    // The first messages of the round are warm-up here too.
    if (TRACE)
      console.log(
        `  broker stages, ms from arrival (median/max), and the longest event-loop delay between messages (loopMaxMs): ${stageMedians(traces().slice(WARMUP))}`,
      );
    samples.sort((a, b) => a - b);
    return { p50: pct(samples, 50), p99: pct(samples, 99) };
  } finally {
    broker.proc.kill('SIGTERM');
    await new Promise((res) => broker.proc.once('exit', res));
    rmSync(dir, { recursive: true, force: true });
  }
};

const fmt = (xs: readonly number[]): string => xs.map((x) => x.toFixed(1)).join(', ');

const baseline = process.env['MSGXC_BENCH_BASELINE'];
const builds: [string, string][] = [
  ['this tree', ROOT],
  ...(baseline ? [['baseline', baseline] as [string, string]] : []),
];
const results = new Map<string, { p50: number[]; p99: number[] }>(builds.map(([n]) => [n, { p50: [], p99: [] }]));
for (let r = 0; r < rounds; r += 1) {
  // Alternate which build goes first, so a drift in the machine's load hits both alike.
  for (const [name, root] of r % 2 === 0 ? builds : [...builds].reverse()) {
    const x = await once(root);
    const acc = results.get(name);
    acc?.p50.push(x.p50);
    acc?.p99.push(x.p99);
    console.log(`round ${r + 1} ${name}: p50 ${x.p50.toFixed(1)} ms, p99 ${x.p99.toFixed(1)} ms`);
  }
}
for (const [name, acc] of results)
  console.log(
    `${name}: p50 [${fmt(acc.p50)}] median ${median(acc.p50).toFixed(1)} ms; p99 [${fmt(acc.p99)}] median ${median(acc.p99).toFixed(1)} ms`,
  );
const here = results.get('this tree');
const base = results.get('baseline');
if (here !== undefined && base !== undefined)
  console.log(
    `ratio this tree / baseline: p50 ${(median(here.p50) / median(base.p50)).toFixed(2)}x, p99 ${(median(here.p99) / median(base.p99)).toFixed(2)}x`,
  );
