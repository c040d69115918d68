// Ingest benchmark: durable `POST /api/v2/send` against the same server's `GET /api/v2/ping`,
// in one run, with wrk (C, one thread) as the load generator at 64 connections.
// Run: `npm run bench:ingest` (needs `wrk`: apt-get install -y wrk). Prints a table and a
// Markdown row for BENCHMARKS.md.
// BENCH_STACK=production adds the production stack (issue 15): a broker on JetStream R3 (log
// and bus, the current nats-server, three nodes), Cassandra (read models) and Elasticsearch
// (search), started from test/infra as the e2e-production tier starts them
// (bench/production-stack.ts; servers named by MSGXC_TEST_* variables are used as given), and
// alternates it with the embedded default (writer thread) in the same run:
//   npx tsc -p tsconfig.build.json && BENCH_STACK=production npx vite-node bench/ingest.ts
// (vite-node because test/infra is loaded from the sources; the broker is still dist/bin).
// BENCH_WRITERS=production measures the production stack alone; `jetstream` is the log (and bus)
// on JetStream R3 with the read models, search and data keys embedded, to tell the parts apart;
// a variant ending in `-known` (`production-known`) first sends one pass that is not measured, so
// the measured sends mostly go to users whose data key exists (no key created on their path).
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startProductionStack, type ProductionStack } from './production-stack.js';
import { adminToken, sendScript, startServer, wrk, type WrkResult } from './wrk-support.js';
import { median } from './median.js';

const DURATION = process.env['BENCH_DURATION'] ?? '10s';
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 64);
// dist/bench/ingest.js starts dist/bin/msgxc.js; run from the sources (vite-node), the same built one.
const BIN =
  [resolve(import.meta.dirname, '../bin/msgxc.js'), resolve(import.meta.dirname, '../dist/bin/msgxc.js')].find((f) =>
    existsSync(f),
  ) ?? '';
const PRODUCTION = process.env['BENCH_STACK'] === 'production';
// BENCH_BASE_BIN=<a baseline's dist/bin/msgxc.js>: a variant prefixed `base:` (`base:production`)
// runs that broker instead of this one, so a baseline build (main) alternates with this one on
// the same stack in one run: BENCH_WRITERS=production,base:production.
const BASE_BIN = process.env['BENCH_BASE_BIN'];

// One server per writer mode (MSGXC_EMBEDDED_WRITER: `thread`, the default, or `inline`, the
// baseline), each measured against its own ping in the same run, with the delivery reactors on.
// BENCH_REACTORS=thread,inline compares instead the delivery reactors in their worker thread
// (MSGXC_REACTORS_THREAD=true) and on the main thread (the default), with the default writer;
// `split` is the two delivery threads (MSGXC_REACTORS_THREAD=split).
// `production`, `jetstream`: the production stack's settings for the server's data dir (above).
const envOf = (variant: string, dataDir: string, stack?: ProductionStack): Record<string, string> => {
  if (variant === 'production' || variant === 'jetstream') {
    if (stack === undefined) throw new Error(`the ${variant} variant needs BENCH_STACK=production`);
    const env = stack.env(dataDir);
    if (variant === 'production') return env;
    // JetStream R3 (log, bus, idempotency) with the read models, search and data keys embedded.
    return Object.fromEntries(Object.entries(env).filter(([k]) => !/^MSGXC_(CASSANDRA|ELASTIC)_/.test(k)));
  }
  return variant.startsWith('reactors-')
    ? { MSGXC_REACTORS_THREAD: { 'reactors-thread': 'true', 'reactors-split': 'split' }[variant] ?? 'false' }
    : { MSGXC_EMBEDDED_WRITER: variant };
};

// Whether the delivery planning keeps up with the sends (embedded variants: events.db read
// directly): MessageTriaged events against MessagePublished ones at the end of the send pass and
// every 2 s after it, up to 6 s. A send to one user is planned in one MessageTriaged, so triaged
// below published is the planning still owed; counted after the pass, the send/ping ratio leaves
// that work out, so it is printed beside it.
const SETTLE_SAMPLES_MS = [0, 2000, 4000, 6000];
const triageCounts = (dataDir: string): { published: number; triaged: number } | undefined => {
  const file = join(dataDir, 'events.db');
  if (!existsSync(file)) return undefined;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare<[], { type: string; n: number }>(
        "SELECT type, count(*) AS n FROM events WHERE type IN ('MessagePublished', 'MessageTriaged') GROUP BY type",
      )
      .all();
    const n = (type: string): number => rows.find((r) => r.type === type)?.n ?? 0;
    return { published: n('MessagePublished'), triaged: n('MessageTriaged') };
  } finally {
    db.close();
  }
};
const triageProgress = async (dataDir: string): Promise<string> => {
  const out: string[] = [];
  let waited = 0;
  for (const at of SETTLE_SAMPLES_MS) {
    await new Promise((r) => setTimeout(r, at - waited));
    waited = at;
    const c = triageCounts(dataDir);
    if (c === undefined) return 'n/a';
    out.push(`${String(c.triaged)}/${String(c.published)}`);
  }
  return out.join(' ');
};

const measure = async (
  dir: string,
  name: string,
  writer: string,
  script: string,
  stack?: ProductionStack,
): Promise<{ ping: WrkResult; send: WrkResult; triaged: string }> => {
  const dataDir = join(dir, `data-${name}`);
  const known = writer.endsWith('-known');
  const baseline = writer.startsWith('base:');
  if (baseline && BASE_BIN === undefined) throw new Error(`${writer} needs BENCH_BASE_BIN`);
  const variant = writer.replace(/^base:/, '').replace(/-known$/, '');
  const server = await startServer(baseline ? (BASE_BIN ?? '') : BIN, dataDir, envOf(variant, dataDir, stack));
  try {
    const base = `http://127.0.0.1:${server.port}`;
    const load = { connections: CONNECTIONS, duration: DURATION };
    wrk(`${base}/api/v2/ping`, load); // warm-up
    const ping = wrk(`${base}/api/v2/ping`, load);
    // `-known`: a first send pass, not measured, so the measured sends (the script's users from
    // user-0 again) mostly address users whose data key exists: no key is created on their path.
    if (known) wrk(`${base}/api/v2/send`, { ...load, script });
    const send = wrk(`${base}/api/v2/send`, { ...load, script });
    return { ping, send, triaged: await triageProgress(dataDir) };
  } finally {
    await server.stop();
  }
};

// BENCH_ROUNDS rounds (default 3), alternating which writer goes first: on the shared machine
// single runs of one build swing by a factor of two, so the medians of the ratios are compared.
const main = async (): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-bench-'));
  const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
  const reactors = process.env['BENCH_REACTORS'];
  const writers =
    reactors === undefined
      ? (process.env['BENCH_WRITERS'] ?? (PRODUCTION ? 'production,thread' : 'thread,inline')).split(',')
      : reactors.split(',').map((r) => `reactors-${r}`);
  const stack = PRODUCTION ? await startProductionStack() : undefined;
  if (stack !== undefined) console.log(`production stack: ${stack.started}`);
  try {
    const script = sendScript(dir, await adminToken());
    const seen = new Map<string, { ratio: number[]; p99: number[]; send: number[]; ping: number[] }>();
    console.log(
      '| run (UTC) | writer | connections | duration | ping req/s | send req/s | send/ping | send p50 ms | send p99 ms | errors | triaged/published at the end, +2, +4, +6 s | load avg |',
    );
    for (let round = 0; round < rounds; round += 1) {
      const order = round % 2 === 0 ? writers : [...writers].reverse();
      for (const writer of order) {
        const started = new Date().toISOString().slice(0, 16).replace('T', ' ');
        const { ping, send, triaged } = await measure(dir, `${writer}-${String(round)}`, writer, script, stack);
        const ratio = send.rps / ping.rps;
        const s = seen.get(writer) ?? { ratio: [], p99: [], send: [], ping: [] };
        s.ratio.push(ratio);
        s.p99.push(send.p99);
        s.send.push(send.rps);
        s.ping.push(ping.rps);
        seen.set(writer, s);
        console.log(
          `| ${started} | ${writer} | ${CONNECTIONS} | ${DURATION} | ${ping.rps.toFixed(0)} | ${send.rps.toFixed(0)} | ${ratio.toFixed(2)} | ${send.p50} | ${send.p99} | ${send.errors}${send.errorKinds === '' ? '' : ` (${send.errorKinds})`} | ${triaged} | ${loadavg()[0]?.toFixed(1) ?? ''} |`,
        );
      }
    }
    console.log(`medians over ${String(rounds)} rounds:`);
    for (const [writer, s] of seen)
      console.log(
        `  ${writer.padEnd(16)} send/ping ${median(s.ratio).toFixed(3)}  send ${median(s.send).toFixed(0)} req/s  ping ${median(s.ping).toFixed(0)} req/s  send p99 ${median(s.p99).toFixed(1)} ms`,
      );
    console.log('targets: send/ping >= 0.3 (aim 0.5), send p99 reported');
  } finally {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
};

await main();
