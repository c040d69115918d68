// Server CPU per request, this build against a baseline build, alternating in one run:
// `node dist/bench/cpu-per-request.js <baseline dist dir> [rounds]` (needs wrk). Requests per
// second swing by a factor of two on the shared 2-core machine; the broker process's own CPU
// time (user + system, all its threads, from /proc) divided by the requests wrk completed
// moves far less, so a change on the hot path shows as a ratio of the two builds' medians.
// A baseline build: `git worktree add /tmp/base <commit> && cd /tmp/base && npm ci && npm run build`
// (or a copy of an earlier dist/ beside a node_modules link).
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { adminToken, sendScript, startServer, wrk } from './wrk-support.js';
import { median } from './median.js';

const cpuMs = (pid: number): number => {
  const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime in clock ticks (100 Hz)
};

const measure = async (dist: string, dir: string, script: string): Promise<{ ping: number; send: number }> => {
  const server = await startServer(join(dist, 'bin/msgxc.js'), mkdtempSync(join(dir, 'data-')));
  try {
    const base = `http://127.0.0.1:${server.port}`;
    const perRequest = (path: string, withScript: boolean): number => {
      const before = cpuMs(server.pid);
      const r = wrk(`${base}${path}`, { connections: 64, duration: '4s', ...(withScript ? { script } : {}) });
      return ((cpuMs(server.pid) - before) * 1000) / r.requests;
    };
    perRequest('/api/v2/send', true); // warm-up: JIT, token cache, read models
    return { ping: perRequest('/api/v2/ping', false), send: perRequest('/api/v2/send', true) };
  } finally {
    await server.stop();
  }
};

const main = async (): Promise<void> => {
  const baseline = process.argv[2];
  if (baseline === undefined) throw new Error('usage: node dist/bench/cpu-per-request.js <baseline dist dir> [rounds]');
  const rounds = Number(process.argv[3] ?? 4);
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-bench-cpu-'));
  const builds = { baseline: resolve(baseline), current: resolve(import.meta.dirname, '..') };
  const seen: Record<string, { ping: number[]; send: number[] }> = {
    baseline: { ping: [], send: [] },
    current: { ping: [], send: [] },
  };
  try {
    const script = sendScript(dir, await adminToken());
    for (let i = 0; i < rounds; i += 1) {
      for (const [name, dist] of Object.entries(builds)) {
        const r = await measure(dist, dir, script);
        seen[name]?.ping.push(r.ping);
        seen[name]?.send.push(r.send);
        console.log(`${name.padEnd(8)} ping ${r.ping.toFixed(1)} us/request, send ${r.send.toFixed(1)} us/request`);
      }
    }
    const m = (name: string, path: 'ping' | 'send'): number => median(seen[name]?.[path] ?? []);
    for (const path of ['ping', 'send'] as const) {
      console.log(
        `${path}: median ${m('baseline', path).toFixed(1)} -> ${m('current', path).toFixed(1)} us/request (current/baseline ${(m('current', path) / m('baseline', path)).toFixed(3)})`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

await main();
