// CPU per durable `POST /api/v2/send`, thread by thread, with the same server's ping for the
// ratio: this build alternated with a baseline build (main) in one run, so a change to what a
// send costs across the broker's threads can be told from the machine's load.
//   node dist/bench/send-cpu.js [pairs=4]          (needs wrk)
//   BENCH_BASE_BIN=/tmp/base/dist/bin/msgxc.js node dist/bench/send-cpu.js 4
// Threads are told apart by the names the broker gives them (app/thread-name.ts: msgxc-writer,
// msgxc-reads, msgxc-search, msgxc-keys, msgxc-reactors); the unnamed ones ("node": V8's
// platform threads, which run the GC's parallel marking and compilation, and libuv's) are
// summed as `node`. Each server: a warm-up send pass, ping, then send (wrk, 64 connections),
// /proc/<pid>/task/*/stat read around the send pass; each send addresses another of 10,000 users.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { median } from './median.js';
import { adminToken, sendScript, startServer, wrk, type WrkResult } from './wrk-support.js';

const BIN = resolve(import.meta.dirname, '../bin/msgxc.js');
const BASE_BIN = process.env['BENCH_BASE_BIN'];
const DURATION = process.env['BENCH_DURATION'] ?? '8s';

// CPU milliseconds by thread name (utime + stime, 100 Hz ticks); the main thread is `main`.
const threads = (pid: number): Map<string, number> => {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${String(pid)}/task`)) {
    try {
      const stat = readFileSync(`/proc/${String(pid)}/task/${tid}/stat`, 'utf8');
      const name = tid === String(pid) ? 'main' : (/\((.*)\)/.exec(stat)?.[1] ?? '?');
      const fields = (stat.split(') ')[1] ?? '').split(' ');
      out.set(name, (out.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) * 10);
    } catch {
      // a thread that ended between the listing and the read
    }
  }
  return out;
};

interface Run {
  readonly ping: WrkResult;
  readonly send: WrkResult;
  /** CPU microseconds per send by thread name, and `total`. */
  readonly perSend: Map<string, number>;
  readonly load: number;
}

const run = async (bin: string, dataDir: string, script: string): Promise<Run> => {
  const server = await startServer(bin, dataDir);
  try {
    const base = `http://127.0.0.1:${String(server.port)}`;
    const load = { connections: 64, duration: DURATION };
    wrk(`${base}/api/v2/send`, { ...load, duration: '3s', script }); // warm-up (JIT, first keys)
    const ping = wrk(`${base}/api/v2/ping`, load);
    const before = threads(server.pid);
    const send = wrk(`${base}/api/v2/send`, { ...load, script });
    const after = threads(server.pid);
    const perSend = new Map<string, number>();
    let total = 0;
    for (const [name, ms] of after) {
      const us = ((ms - (before.get(name) ?? 0)) * 1000) / send.requests;
      perSend.set(name, us);
      total += us;
    }
    perSend.set('total', total);
    return { ping, send, perSend, load: loadavg()[0] ?? 0 };
  } finally {
    await server.stop();
  }
};

const NAMES = ['main', 'msgxc-writer', 'msgxc-reads', 'msgxc-search', 'msgxc-keys', 'msgxc-reactors', 'node', 'total'];

const row = (label: string, r: Run): string => {
  const cpu = NAMES.map((n) => (r.perSend.get(n) ?? 0).toFixed(0)).join(' | ');
  return `| ${new Date().toISOString().slice(11, 16)} | ${label} | ${r.load.toFixed(1)} | ${r.ping.rps.toFixed(0)} | ${r.send.rps.toFixed(0)} | ${(r.send.rps / r.ping.rps).toFixed(3)} | ${String(r.send.p99)} | ${String(r.send.errors)} | ${cpu} |`;
};

const main = async (): Promise<void> => {
  const pairs = Number(process.argv[2] ?? 4);
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-bench-sendcpu-'));
  const builds: [string, string][] = [
    ['branch', BIN],
    ...(BASE_BIN === undefined ? [] : [['main', BASE_BIN] as [string, string]]),
  ];
  const seen = new Map<string, Run[]>();
  try {
    const script = sendScript(dir, await adminToken());
    console.log(
      `| UTC | build | load | ping/s | send/s | send/ping | send p99 ms | errors | ${NAMES.map((n) => `${n} us`).join(' | ')} |`,
    );
    for (let p = 0; p < pairs; p += 1) {
      for (const [label, bin] of p % 2 === 0 ? builds : [...builds].reverse()) {
        const r = await run(bin, join(dir, `data-${label}-${String(p)}`), script);
        seen.set(label, [...(seen.get(label) ?? []), r]);
        console.log(row(label, r));
      }
    }
    for (const [label, runs] of seen)
      console.log(
        `median ${label}: send/ping ${median(runs.map((r) => r.send.rps / r.ping.rps)).toFixed(3)}, send ${median(runs.map((r) => r.send.rps)).toFixed(0)}/s, p99 ${median(runs.map((r) => r.send.p99)).toFixed(0)} ms, us/send ${NAMES.map((n) => `${n} ${median(runs.map((r) => r.perSend.get(n) ?? 0)).toFixed(0)}`).join(', ')}`,
      );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

await main();
