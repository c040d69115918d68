// A node uses its cores (MSGXC_HTTP_THREADS): one server with 1 HTTP thread against one with
// 2, alternated round by round, under `GET /api/v2/ping` and durable `POST /api/v2/send`
// (wrk, 64 connections), with the CPU each thread of the broker spent per request
// (/proc/<pid>/task) and, from each thread's own /metrics, how many requests it answered:
//   node dist/bench/http-threads.js [rounds=2]     (needs wrk; BENCH_DURATION, default 5s)
// The worker thread's CPU per request it answered is the cost that more threads divide; what
// the main thread spends beyond its own requests (the log's appends for every thread, the live
// follower, the delivery reactors) and the writer and projection threads are the serial part.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { adminToken, sendScript, startServer, wrk } from './wrk-support.js';

const BIN = resolve(import.meta.dirname, '../bin/msgxc.js');
const DURATION = process.env['BENCH_DURATION'] ?? '5s';
const CONNECTIONS = 64;

// CPU milliseconds per thread id (utime + stime, 100 Hz ticks).
const cpu = (pid: number): Map<string, number> => {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${String(pid)}/task`)) {
    try {
      const fields = (readFileSync(`/proc/${String(pid)}/task/${tid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
      out.set(tid, (Number(fields[11]) + Number(fields[12])) * 10);
    } catch {
      // a thread that ended between the listing and the read
    }
  }
  return out;
};

// One thread's /metrics over a connection of its own (the kernel picks the thread).
const metricsOnce = (port: number): Promise<string> =>
  new Promise((res, rej) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/metrics', agent: false, headers: { connection: 'close' } },
      (r) => {
        let text = '';
        r.on('data', (d: Buffer) => (text += d.toString()));
        r.on('end', () => {
          res(text);
        });
      },
    );
    req.on('error', rej);
    req.end();
  });

/** Requests answered per thread (0: main) on `route`, from each thread's counters. */
const answered = async (port: number, threads: number, route: string): Promise<Map<number, number>> => {
  const seen = new Map<number, number>();
  for (let i = 0; i < 200 && seen.size < threads; i += 1) {
    const text = await metricsOnce(port);
    const thread = Number(/^msgxc_http_thread (\d+)$/m.exec(text)?.[1] ?? 0);
    const n = text
      .split('\n')
      .filter((l) => l.startsWith('msgxc_http_requests_total{') && l.includes(`"${route}"`))
      // Every thread's series are in each scrape, labelled `thread`: this one's (unlabelled with one thread).
      .filter((l) => !l.includes('{thread="') || l.startsWith(`msgxc_http_requests_total{thread="${String(thread)}",`))
      .reduce((a, l) => a + Number(l.split(' ').at(-1)), 0);
    seen.set(thread, n);
  }
  return seen;
};

interface Phase {
  readonly rps: number;
  readonly p99: number;
  /** CPU us per request (all requests) per thread id. */
  readonly perThread: Map<string, number>;
  /** Requests each HTTP thread answered (0: main). */
  readonly byThread: Map<number, number>;
}

const phase = async (pid: number, port: number, threads: number, route: string, script?: string): Promise<Phase> => {
  const url = `http://127.0.0.1:${String(port)}${route}`;
  const counted = threads > 1 ? await answered(port, threads, route) : new Map<number, number>();
  const before = cpu(pid);
  const r = wrk(url, { connections: CONNECTIONS, duration: DURATION, ...(script === undefined ? {} : { script }) });
  const after = cpu(pid);
  const counts = threads > 1 ? await answered(port, threads, route) : new Map([[0, r.requests]]);
  const byThread = new Map([...counts].map(([t, n]) => [t, n - (counted.get(t) ?? 0)]));
  const perThread = new Map(
    [...after].map(([tid, ms]) => [tid, ((ms - (before.get(tid) ?? 0)) * 1000) / r.requests] as const),
  );
  return { rps: r.rps, p99: r.p99, perThread, byThread };
};

const main = async (): Promise<void> => {
  const rounds = Number(process.argv[2] ?? 2);
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-bench-http-threads-'));
  const f = (x: number): string => x.toFixed(1);
  try {
    const script = sendScript(dir, await adminToken());
    console.log(
      `${new Date().toISOString()} load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}, ${DURATION} x ${String(CONNECTIONS)} connections`,
    );
    for (let round = 0; round < rounds; round += 1) {
      for (const n of round % 2 === 0 ? [1, 2] : [2, 1]) {
        const server = await startServer(BIN, join(dir, `data-${String(n)}-${String(round)}`), {
          MSGXC_HTTP_THREADS: String(n),
        });
        try {
          const pid = String(server.pid);
          await phase(server.pid, server.port, n, '/api/v2/send', script); // warm-up
          const ping = await phase(server.pid, server.port, n, '/api/v2/ping');
          const send = await phase(server.pid, server.port, n, '/api/v2/send', script);
          // The HTTP worker: of the other threads, the one that worked most under ping.
          const worker =
            n > 1 ? [...ping.perThread].filter(([t]) => t !== pid).sort((a, b) => b[1] - a[1])[0]?.[0] : undefined;
          const describe = (p: Phase): string => {
            const total = [...p.perThread.values()].reduce((a, b) => a + b, 0);
            const main = p.perThread.get(pid) ?? 0;
            const w = worker === undefined ? 0 : (p.perThread.get(worker) ?? 0);
            const all = [...p.byThread.values()].reduce((a, b) => a + b, 0) || 1;
            const share = (t: number): string => `${((100 * (p.byThread.get(t) ?? 0)) / all).toFixed(0)}%`;
            // Per request that thread answered: what each HTTP thread pays for its own.
            const own = (us: number, t: number): string =>
              (p.byThread.get(t) ?? 0) === 0 ? '-' : f((us * all) / (p.byThread.get(t) ?? 1));
            const others = [...p.perThread]
              .filter(([t, us]) => t !== pid && t !== worker && us >= 0.03 * total)
              .map(([t, us]) => `#${String(Number(t) - server.pid)} ${f(us)}`)
              .join(', ');
            return (
              `${p.rps.toFixed(0)}/s p99 ${String(p.p99)} ms | cpu/req ${f(total)} us: main ${f(main)} (answered ${share(0)}, ${own(main, 0)} per own)` +
              (worker === undefined ? '' : `, http worker ${f(w)} (answered ${share(1)}, ${own(w, 1)} per own)`) +
              ` | other threads ${f(total - main - w)}${others === '' ? '' : ` (${others})`}`
            );
          };
          console.log(`N=${String(n)} ping: ${describe(ping)}`);
          console.log(`N=${String(n)} send: ${describe(send)} | send/ping ${(send.rps / ping.rps).toFixed(3)}`);
        } finally {
          await server.stop();
        }
      }
    }
    console.log(
      `load after ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

await main();
