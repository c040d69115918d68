// What a durable send can cost at least on this machine, part by part, against the broker's own
// send/ping in the same run. bench/send-floor-server.ts is a skeleton with none of the broker's
// code (uWS, JSON.parse, a writer thread's fsynced group commit); each rung adds one part a
// msgxc send must have (token check, sealing and the hash chain, the inbox projection, the search
// index, the triage event). Rungs and the broker alternate, `rounds` times:
//   node dist/bench/send-floor.js [rounds=2]        (needs wrk; BENCH_DURATION, default 6s)
// Each server: a 2 s warm-up send pass, ping, then send (wrk, 64 connections, each send to
// another of 10,000 users); for the skeleton, how much of the send pass its reads and search
// threads had taken in when it ended (they must keep up, or their cost is deferred, not paid).
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { median } from './median.js';
import { adminToken, sendScript, startServer, wrk } from './wrk-support.js';

const BIN = resolve(import.meta.dirname, '../bin/msgxc.js');
const SERVER = resolve(import.meta.dirname, 'send-floor-server.js');
const DURATION = process.env['BENCH_DURATION'] ?? '6s';
const ROUNDS = Number(process.argv[2] ?? 2);
const FLOOR_SECRET = 'bench-floor-secret-0123456789-0123456789';

const RUNGS: readonly (readonly [name: string, flags: readonly string[]])[] = [
  ['durable insert', []],
  ['+ token check', ['AUTH']],
  ['+ seal, chain', ['AUTH', 'SEAL']],
  ['+ inbox projection', ['AUTH', 'SEAL', 'READS']],
  ['+ search index', ['AUTH', 'SEAL', 'READS', 'SEARCH']],
  ['+ triage event', ['AUTH', 'SEAL', 'READS', 'SEARCH', 'TRIAGE']],
];
const BROKER = 'msgxc (embedded, reactors on)';

const floorToken = (): string => {
  const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: 'bench', exp: Math.floor(Date.now() / 1000) + 7200 })}`;
  return `${head}.${createHmac('sha256', FLOOR_SECRET).update(head).digest('base64url')}`;
};

interface Result {
  readonly ping: number;
  readonly send: number;
  readonly p99: number;
  readonly errors: number;
  readonly keptUp: string;
}

const measure = (base: string, script: string): Omit<Result, 'keptUp'> => {
  const load = { connections: 64, duration: DURATION };
  wrk(`${base}/api/v2/send`, { ...load, duration: '2s', script });
  const ping = wrk(`${base}/api/v2/ping`, load);
  const send = wrk(`${base}/api/v2/send`, { ...load, script });
  return { ping: ping.rps, send: send.rps, p99: send.p99, errors: send.errors };
};

const skeleton = async (flags: readonly string[], script: string): Promise<Result> => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-floor-'));
  const env: NodeJS.ProcessEnv = { ...process.env, FLOOR_DIR: dir, FLOOR_SECRET };
  for (const f of flags) env[`FLOOR_${f}`] = '1';
  const proc = spawn(process.execPath, [SERVER], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((res, rej) => {
      let out = '';
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening (\d+)/.exec(out);
        if (m?.[1] !== undefined) res(Number(m[1]));
      });
      proc.once('exit', () => {
        rej(new Error(`skeleton exited: ${out}`));
      });
    });
    const base = `http://127.0.0.1:${String(port)}`;
    const r = measure(base, script);
    const stats = (await (await fetch(`${base}/stats`)).json()) as Record<string, number>;
    const sent = (stats['appended'] ?? 0) / (flags.includes('TRIAGE') ? 2 : 1);
    const kept = ['reads', 'search']
      .filter((k) => flags.includes(k === 'reads' ? 'READS' : 'SEARCH'))
      .map((k) => `${k} ${((100 * (stats[k] ?? 0)) / sent).toFixed(0)} %`);
    return { ...r, keptUp: kept.join(', ') || '-' };
  } finally {
    proc.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
};

const broker = async (script: string): Promise<Result> => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-floor-broker-'));
  const server = await startServer(BIN, dir);
  try {
    return { ...measure(`http://127.0.0.1:${String(server.port)}`, script), keptUp: 'its own triage: see ingest' };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
};

const scripts = [mkdtempSync(join(tmpdir(), 'msgxc-floor-s-')), mkdtempSync(join(tmpdir(), 'msgxc-floor-s-'))] as const;
const brokerScript = sendScript(scripts[0], await adminToken());
const floorScript = sendScript(scripts[1], floorToken());

const all = new Map<string, Result[]>();
console.log(
  '| round | server | load | ping/s | send/s | send/ping | send/(broker ping) | send p99 ms | errors | followers at the end |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (let round = 1; round <= ROUNDS; round++) {
  const b = await broker(brokerScript);
  const rows: [string, Result][] = [[BROKER, b]];
  for (const [name, flags] of RUNGS) rows.push([name, await skeleton(flags, floorScript)]);
  for (const [name, r] of rows) {
    all.set(name, [...(all.get(name) ?? []), r]);
    const cells = [
      round,
      name,
      (loadavg()[0] ?? 0).toFixed(1),
      Math.round(r.ping).toLocaleString('en'),
      Math.round(r.send).toLocaleString('en'),
      (r.send / r.ping).toFixed(3),
      (r.send / b.ping).toFixed(3),
      r.p99.toFixed(1),
      r.errors,
      r.keptUp,
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
}
console.log('\nMedians: send/ping (own ping), send/(broker ping)');
for (const [name, rs] of all) {
  const own = median(rs.map((r) => r.send / r.ping));
  const vsBroker = median(rs.map((r, i) => r.send / (all.get(BROKER)?.[i]?.ping ?? Number.NaN)));
  console.log(`  ${name.padEnd(32)} ${own.toFixed(3)}  ${vsBroker.toFixed(3)}`);
}
for (const d of scripts) rmSync(d, { recursive: true, force: true });
