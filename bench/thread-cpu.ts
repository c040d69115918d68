// Server CPU per delivered thread message until the server is idle again, delivery reactors on
// against off in one invocation, thread by thread: the Centrifugo comparison's burst without
// Centrifugo and without its memory phase (bench/centrifugo/measure.ts), so a change to what a
// thread message costs after its fan-out can be measured in a minute.
//   node dist/bench/thread-cpu.js [connections=1000] [messages=200] [rounds=2]
// BENCH_BROKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles the brokers (bench/broker.ts).
// Drives the Go load client (dist/bench/fanout-client, built on first use by bench/loadclient.ts).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { untilIdle } from './centrifugo/idle.js';
import { publishAll } from './centrifugo/measure.js';
import { startMsgxc } from './centrifugo/servers.js';
import { client, procCpuS } from './loadclient.js';

const [connections = 1000, messages = 200, rounds = 2] = process.argv.slice(2).map(Number);

// CPU seconds per thread name (comm) of a process, summed over threads of the same name.
const threads = (pid: number): Map<string, number> => {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${String(pid)}/task`)) {
    try {
      const stat = readFileSync(`/proc/${String(pid)}/task/${tid}/stat`, 'utf8');
      // Worker threads are all called "node": told apart by their id's order of creation.
      const name = tid === String(pid) ? 'main' : `${/\((.*)\)/.exec(stat)?.[1] ?? ''}#${String(Number(tid) - pid)}`;
      const fields = (stat.split(') ')[1] ?? '').split(' ');
      out.set(name, (out.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // a thread that ended between the listing and the read
    }
  }
  return out;
};

const run = async (dir: string, reactors: boolean): Promise<number> => {
  const env: Record<string, string> = reactors ? {} : { MSGXC_REACTORS: 'false' };
  const server = await startMsgxc(reactors ? 'on' : 'off', dir, connections, env);
  const c = client(server.wsUrl, connections, server.client);
  try {
    await c.connect();
    await publishAll(server, 10, 2);
    await c.until(10 * connections);
    await untilIdle(server.pid);
    await c.reset();
    const before = threads(server.pid);
    const cpu0 = procCpuS(server.pid);
    // Monotonic microseconds, the clock of a --cpu-prof profile's timestamps: the burst's window.
    const from = process.hrtime.bigint() / 1000n;
    await publishAll(server, messages, 8);
    const s = await c.until(messages * connections);
    const idle = await untilIdle(server.pid);
    const after = threads(server.pid);
    const to = process.hrtime.bigint() / 1000n;
    const cpu = idle.cpuS - cpu0;
    const per = [...after]
      .map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const)
      .filter(([, v]) => v >= 0.02)
      .sort((x, y) => y[1] - x[1])
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(', ');
    console.log(
      `reactors ${reactors ? 'on ' : 'off'}: ${String(s.received)} deliveries, ${cpu.toFixed(2)} CPU-s until idle, ${((cpu * 1e6) / s.received).toFixed(2)} us per delivery | by thread (to the end of the idle window): ${per} | load ${loadavg()[0]?.toFixed(1) ?? ''} | window ${String(from)} ${String(to)}`,
    );
    return cpu / s.received;
  } finally {
    await c.close().catch(() => undefined);
    c.quit();
    await server.stop();
  }
};

const root = mkdtempSync(join(tmpdir(), 'msgxc-bench-tcpu-'));
try {
  for (let r = 0; r < rounds; r += 1) {
    const order = r % 2 === 0 ? [true, false] : [false, true];
    const got = new Map<boolean, number>();
    for (const on of order) {
      // On this shared machine one of a thousand connects now and then closes abnormally under
      // load: such a run is started again on a fresh server (at most three times).
      for (let attempt = 0; !got.has(on); attempt += 1) {
        try {
          got.set(on, await run(join(root, `r${String(r)}-${on ? 'on' : 'off'}-${String(attempt)}`), on));
        } catch (e) {
          if (attempt >= 2) throw e;
          console.error(`run failed, again: ${String(e)}`);
        }
      }
    }
    const on = got.get(true) ?? Number.NaN;
    const off = got.get(false) ?? Number.NaN;
    console.log(
      `round ${String(r + 1)}: reactors cost ${((on - off) * 1e6).toFixed(2)} us per delivery; on/off ${(on / off).toFixed(2)}`,
    );
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
