// Ingest benchmark: durable `POST /api/v2/send` against the same server's `GET /api/v2/ping`,
// in one run, with wrk (C, one thread) as the load generator at 64 connections.
// Run: `npm run bench:ingest` (needs `wrk`: apt-get install -y wrk). Prints a table and a
// Markdown row for BENCHMARKS.md.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { adminToken, sendScript, startServer, wrk, type WrkResult } from './wrk-support.js';

const DURATION = process.env['BENCH_DURATION'] ?? '10s';
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 64);
const BIN = resolve(import.meta.dirname, '../bin/msgxc.js');

// One server per writer mode, each measured against its own ping in the same run.
const measure = async (dir: string, writer: string, script: string): Promise<{ ping: WrkResult; send: WrkResult }> => {
  const server = await startServer(BIN, join(dir, `data-${writer}`), { MSGXC_EMBEDDED_WRITER: writer });
  try {
    const base = `http://127.0.0.1:${server.port}`;
    const load = { connections: CONNECTIONS, duration: DURATION };
    wrk(`${base}/api/v2/ping`, load); // warm-up
    const ping = wrk(`${base}/api/v2/ping`, load);
    const send = wrk(`${base}/api/v2/send`, { ...load, script });
    return { ping, send };
  } finally {
    await server.stop();
  }
};

const main = async (): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-bench-'));
  try {
    const script = sendScript(dir, await adminToken());
    const rows: Record<string, WrkResult & { ratio: string }> = {};
    const day = new Date().toISOString().slice(0, 10);
    for (const writer of ['thread', 'inline']) {
      const { ping, send } = await measure(dir, writer, script);
      rows[`ping (${writer})`] = { ...ping, ratio: '1' };
      rows[`send (${writer} writer)`] = { ...send, ratio: (send.rps / ping.rps).toFixed(3) };
      console.log(
        `| ${day} | ${writer} | ${CONNECTIONS} | ${DURATION} | ${ping.rps.toFixed(0)} | ${send.rps.toFixed(0)} | ${(send.rps / ping.rps).toFixed(2)} | ${send.p50} | ${send.p99} | ${send.errors} |`,
      );
      await new Promise((r) => setTimeout(r, 1000));
    }
    console.table(rows);
    console.log('targets: send/ping >= 0.3, send p99 < 25 ms');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

await main();
