// Ingest benchmark: durable `POST /api/v2/send` against the same server's `GET /api/v2/ping`,
// in one run, with wrk (C, one thread) as the load generator at 64 connections.
// Run: `npm run bench:ingest` (needs `wrk`: apt-get install -y wrk). Prints a table and a
// Markdown row for BENCHMARKS.md.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SignJWT } from 'jose';

const SECRET = 'bench-secret-0123456789-0123456789-abcdef';
const DURATION = process.env['BENCH_DURATION'] ?? '10s';
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 64);

interface WrkResult { rps: number; p50: number; p99: number; errors: number; requests: number }

const ms = (v: string, unit: string): number => Number(v) * ({ us: 0.001, ms: 1, s: 1000 }[unit] ?? Number.NaN);

const parseWrk = (out: string): WrkResult => {
  const pct = (p: string): number => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out);
    return m?.[1] !== undefined && m[2] !== undefined ? ms(m[1], m[2]) : Number.NaN;
  };
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const sockErr = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = sockErr ? sockErr.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN),
    p50: pct('50'), p99: pct('99'),
    errors: non2xx + socketErrors,
    requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0),
  };
};

const startServer = async (dataDir: string, writer: string): Promise<{ port: number; stop: () => void }> => {
  const proc = spawn(process.execPath, [resolve(import.meta.dirname, '../bin/msgxc.js')], {
    env: { ...process.env, MSGXC_PORT: '0', MSGXC_DATA_DIR: dataDir, MSGXC_JWT_SECRET: SECRET, MSGXC_LOG_LEVEL: 'warn', MSGXC_EMBEDDED_WRITER: writer },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const port = await new Promise<number>((res, rej) => {
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /msgxc listening on http:\/\/[^:]+:(\d+)/.exec(out);
      if (m?.[1] !== undefined) res(Number(m[1]));
    });
    proc.once('exit', (c) => { rej(new Error(`server exited ${c}: ${out}`)); });
  });
  return { port, stop: () => { proc.kill('SIGTERM'); } };
};

const wrk = (url: string, script?: string): WrkResult => {
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${DURATION}`, '--latency', ...(script ? ['-s', script] : []), url];
  return parseWrk(execFileSync('wrk', args, { encoding: 'utf8' }));
};

const lua = (dir: string, admin: string): string => {
  const file = join(dir, 'send.lua');
  // Each request addresses another user, as a notification service would.
  writeFileSync(file, `
    local n = 0
    wrk.method = "POST"
    wrk.headers["Authorization"] = "Bearer ${admin}"
    wrk.headers["Content-Type"] = "application/json"
    request = function()
      n = n + 1
      return wrk.format(nil, nil, nil, '{"msg":"benchmark message of about one hundred bytes, like a chat line or a short alert text","uid":"user-' .. (n % 10000) .. '"}')
    end`);
  return file;
};

// One server per writer mode, each measured against its own ping in the same run.
const measure = async (dir: string, writer: string, script: string): Promise<{ ping: WrkResult; send: WrkResult }> => {
  const server = await startServer(join(dir, `data-${writer}`), writer);
  try {
    const base = `http://127.0.0.1:${server.port}`;
    wrk(`${base}/api/v2/ping`); // warm-up
    const ping = wrk(`${base}/api/v2/ping`);
    const send = wrk(`${base}/api/v2/send`, script);
    return { ping, send };
  } finally {
    server.stop();
  }
};

const main = async (): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-bench-'));
  try {
    const admin = await new SignJWT({ roles: ['admin'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('bench')
      .setExpirationTime('2h').sign(Buffer.from(SECRET));
    const script = lua(dir, admin);
    const rows: Record<string, WrkResult & { ratio: string }> = {};
    const day = new Date().toISOString().slice(0, 10);
    for (const writer of ['thread', 'inline']) {
      const { ping, send } = await measure(dir, writer, script);
      rows[`ping (${writer})`] = { ...ping, ratio: '1' };
      rows[`send (${writer} writer)`] = { ...send, ratio: (send.rps / ping.rps).toFixed(3) };
      console.log(`| ${day} | ${writer} | ${CONNECTIONS} | ${DURATION} | ${ping.rps.toFixed(0)} | ${send.rps.toFixed(0)} | ${(send.rps / ping.rps).toFixed(2)} | ${send.p50} | ${send.p99} | ${send.errors} |`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    console.table(rows);
    console.log('targets: send/ping >= 0.3, send p99 < 25 ms');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

await main();
