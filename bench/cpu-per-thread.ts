// Broker CPU per request, thread by thread, for `GET /api/v2/ping` and durable
// `POST /api/v2/send`, with each embedded log writer (MSGXC_EMBEDDED_WRITER), alternating:
// `node dist/bench/cpu-per-thread.js [rounds]` (needs wrk). On the shared 2-core machine the
// requests per second swing with other work; the CPU each thread spent per request (from
// /proc/<pid>/task) moves less and shows what the event loop itself pays per send.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { adminToken, sendScript, startServer, wrk } from './wrk-support.js';

const BIN = resolve(import.meta.dirname, '../bin/msgxc.js');
const DURATION = process.env['BENCH_DURATION'] ?? '5s';

// CPU milliseconds per thread id (utime + stime, 100 Hz ticks).
const threads = (pid: number): Map<string, number> =>
  new Map(
    readdirSync(`/proc/${String(pid)}/task`).map((tid) => {
      const fields = (readFileSync(`/proc/${String(pid)}/task/${tid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
      return [tid, (Number(fields[11]) + Number(fields[12])) * 10];
    }),
  );

interface PerThread {
  readonly main: number;
  readonly others: number;
  readonly rps: number;
  readonly p99: number;
}

const measure = (pid: number, url: string, script?: string): PerThread => {
  const before = threads(pid);
  const r = wrk(url, { connections: 64, duration: DURATION, ...(script !== undefined ? { script } : {}) });
  const after = threads(pid);
  const us = (tid: string): number => (((after.get(tid) ?? 0) - (before.get(tid) ?? 0)) * 1000) / r.requests;
  const main = us(String(pid));
  const others = [...after.keys()].filter((t) => t !== String(pid)).reduce((a, t) => a + us(t), 0);
  return { main, others, rps: r.rps, p99: r.p99 };
};

const main = async (): Promise<void> => {
  const rounds = Number(process.argv[2] ?? 2);
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-bench-thr-'));
  try {
    const script = sendScript(dir, await adminToken());
    for (let round = 0; round < rounds; round += 1) {
      for (const writer of round % 2 === 0 ? ['thread', 'inline'] : ['inline', 'thread']) {
        const server = await startServer(BIN, join(dir, `data-${writer}-${String(round)}`), {
          MSGXC_EMBEDDED_WRITER: writer,
        });
        try {
          const base = `http://127.0.0.1:${String(server.port)}`;
          measure(server.pid, `${base}/api/v2/send`, script); // warm-up
          const ping = measure(server.pid, `${base}/api/v2/ping`);
          const send = measure(server.pid, `${base}/api/v2/send`, script);
          const f = (x: number): string => x.toFixed(1);
          console.log(
            `${writer.padEnd(6)} ping: main ${f(ping.main)} us, other threads ${f(ping.others)} us, ${ping.rps.toFixed(0)}/s | send: main ${f(send.main)} us, other threads ${f(send.others)} us, ${send.rps.toFixed(0)}/s, p99 ${String(send.p99)} ms | send/ping ${(send.rps / ping.rps).toFixed(3)} | load ${loadavg()[0]?.toFixed(1) ?? ''}`,
          );
        } finally {
          await server.stop();
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

await main();
