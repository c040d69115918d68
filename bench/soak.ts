// Soak benchmark (issue 9): one broker on the embedded defaults under mixed load at about 80%
// of the capacity measured at the start of the same run, for 10 minutes, with websocket clients
// coming and going. Every interval it prints throughput, latency p50/p99, errors, the broker's
// RSS and its event-loop lag; at the end it checks that none of them trends upward beyond the
// bounds stated in bench/soak-stats.ts (BOUNDS), and exits 1 if one does.
//
// Run: `npm run bench:soak` (builds, then `node dist/bench/soak.js`)
//   SOAK_SECONDS (600)            length of the soak itself
//   SOAK_INTERVAL (30)            seconds per printed interval
//   SOAK_CAPACITY_SECONDS (30)    length of the capacity measurement before it
//   SOAK_LOAD (0.8)               the soak's rate, as a fraction of the measured capacity
//   SOAK_WS_CLIENTS (40), SOAK_WS_CHURN (2)   websocket sessions held, and replaced per second
// e.g. `SOAK_SECONDS=60 SOAK_INTERVAL=10 SOAK_CAPACITY_SECONDS=10 node dist/bench/soak.js` (a check).
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from './broker.js';
import { rssKb, sleep } from './loadclient.js';
import { measureCapacity, openLoop, setUp, wsClients } from './soak-load.js';
import {
  BOUNDS,
  formatRow,
  HEADER,
  percentile,
  sortNumbers,
  verdict,
  type Interval,
  type Sample,
} from './soak-stats.js';

const num = (name: string, fallback: number): number => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};
const SECONDS = num('SOAK_SECONDS', 600);
const INTERVAL = num('SOAK_INTERVAL', 30);
const CAPACITY_SECONDS = num('SOAK_CAPACITY_SECONDS', 30);
const LOAD = num('SOAK_LOAD', 0.8);
const WS_CLIENTS = num('SOAK_WS_CLIENTS', 40);
const WS_CHURN = num('SOAK_WS_CHURN', 2);
const CONCURRENCY = 32;
const MAX_IN_FLIGHT = 512;

const lagMs = async (base: string): Promise<number> => {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/^msgxc_event_loop_lag_seconds (\S+)$/m.exec(text)?.[1] ?? Number.NaN) * 1000;
};

const main = async (): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-soak-'));
  const broker = await startBroker(join(dir, 'data'));
  const pid = broker.proc.pid ?? 0;
  const base = `http://127.0.0.1:${broker.port}`;
  try {
    console.log(
      `soak: node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), broker pid ${pid}, embedded defaults`,
    );
    const w = await setUp(base);
    const capacity = await measureCapacity(w, CAPACITY_SECONDS, CONCURRENCY);
    const rate = capacity * LOAD;
    console.log(
      `capacity (closed loop, ${CONCURRENCY} callers, ${CAPACITY_SECONDS} s, same mix): ${capacity.toFixed(0)} ops/s; soak at ${(LOAD * 100).toFixed(0)}%: ${rate.toFixed(0)} ops/s for ${SECONDS} s, ${WS_CLIENTS} websocket clients, ${WS_CHURN} replaced per second`,
    );
    const ws = wsClients(`ws://127.0.0.1:${broker.port}/api/v2/ws`, w.userTokens, WS_CLIENTS, WS_CHURN);
    const load = openLoop(w, rate, MAX_IN_FLIGHT);
    const t0 = performance.now();
    const elapsed = (): number => (performance.now() - t0) / 1000;
    const samples: Sample[] = [];
    const intervals: Interval[] = [];
    let lags: number[] = [];
    console.log(HEADER);
    for (let tick = 1; elapsed() < SECONDS; tick += 1) {
      await sleep(Math.max(0, tick * 1000 - (performance.now() - t0)));
      const s = { t: elapsed(), rssMiB: rssKb(pid) / 1024, lagMs: await lagMs(base) };
      samples.push(s);
      lags.push(s.lagMs);
      if (tick % INTERVAL !== 0 && elapsed() < SECONDS) continue;
      const t = load.tally();
      const c = ws.take();
      const lat = sortNumbers(t.latencies);
      const sortedLags = sortNumbers(lags);
      const row: Interval = {
        t: s.t,
        ops: t.ops,
        opsPerSec: t.ops / INTERVAL,
        p50Ms: percentile(lat, 0.5),
        p99Ms: percentile(lat, 0.99),
        errors: { ...t.errors, ...(c.failed > 0 ? { 'ws failed': c.failed } : {}) },
        shed: t.shed,
        loadAvg: loadavg()[0] ?? Number.NaN,
        backlog: t.backlog,
        rssMiB: s.rssMiB,
        lagP50Ms: percentile(sortedLags, 0.5),
        lagP99Ms: percentile(sortedLags, 0.99),
        wsSessions: ws.sessions(),
        wsFrames: c.frames,
        wsOpened: c.opened,
      };
      intervals.push(row);
      lags = [];
      console.log(formatRow(row));
      if (Object.keys(row.errors).length > 0) console.log(`      errors: ${JSON.stringify(row.errors)}`);
    }
    ws.stop();
    await load.stop();
    const v = verdict(intervals, samples, SECONDS);
    const first = samples[0];
    const last = samples.at(-1);
    console.log(
      `RSS ${first?.rssMiB.toFixed(0) ?? '-'} MiB at the start, ${last?.rssMiB.toFixed(0) ?? '-'} MiB at the end; lag ${first?.lagMs.toFixed(1) ?? '-'} ms at the start, ${last?.lagMs.toFixed(1) ?? '-'} ms at the end`,
    );
    console.log(`bounds: ${JSON.stringify(BOUNDS)}`);
    for (const l of v.lines) console.log(l);
    if (!v.ok) process.exitCode = 1;
  } finally {
    broker.proc.kill('SIGTERM');
    await new Promise((r) => broker.proc.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
};

await main();
