// One run against one started server: memory per idle connection, a burst of messages
// (delivered msgs/s, server CPU during it and until the server is idle again), then paced
// messages for latency. Every phase starts from an idle server.
import { client, nowNs, procCpuS, sleep, type Stats } from '../loadclient.js';
import { untilIdle } from './idle.js';
import type { Memory, Server } from './servers.js';

export interface Sizes {
  connections: number;
  messages: number;
  publishers: number;
  paced: number;
  paceMs: number;
  /** Skip the memory figures (`--no-memory`): the settling of RSS can take minutes per server on a loaded machine. */
  noMemory?: boolean;
}

export interface Run {
  server: string;
  connections: number;
  /** RSS after a full GC, before and after the connections were made, and per connection. */
  rssBeforeKb: number;
  rssAfterKb: number;
  memPerConnKb: number;
  /** The same for RSS less the heap the runtime holds free. */
  liveBeforeKb: number;
  liveAfterKb: number;
  livePerConnKb: number;
  connectSeconds: number;
  connectCpuS: number;
  delivered: number;
  burstSeconds: number;
  burstRate: number;
  burstCpuS: number;
  burstClientCpuS: number;
  burstP50ms: number;
  burstP99ms: number;
  idleSeconds: number;
  idleCpuS: number;
  idleTimedOut: boolean;
  perCpuBurst: number;
  perCpuUntilIdle: number;
  pacedDelivered: number;
  pacedP50ms: number;
  pacedP99ms: number;
  pacedCpuS: number;
}

const WARMUP = 10;
const STILL_S = 15;
const stamped = (): string => `t=${nowNs()};`.padEnd(100, 'x');
const clientCpu = (s: Stats): number => s.cpu_user_s + s.cpu_sys_s;

/** `count` messages stamped with their publish time, from `publishers` concurrent HTTP publishers. */
export const publishAll = async (server: Server, count: number, publishers: number): Promise<void> => {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next += 1;
      await server.publish(stamped());
    }
  };
  await Promise.all(Array.from({ length: publishers }, worker));
};

export const measure = async (server: Server, z: Sizes, say: (s: string) => void): Promise<Run> => {
  const pid = server.pid;
  const n = z.connections;
  // Runtimes give memory back to the OS some seconds after the work that used it (Go's
  // scavenger; V8 shrinks idle heaps): collect garbage and read every second until RSS has
  // held still for STILL_S seconds. "Live" is RSS less the heap the runtime holds free.
  const settled = async (): Promise<{ rssKb: number; liveKb: number }> => {
    await untilIdle(pid);
    if (z.noMemory === true) return { rssKb: Number.NaN, liveKb: Number.NaN };
    const seen: Memory[] = [];
    for (let i = 0; i < 120; i += 1) {
      seen.push(await server.memory());
      const tail = seen.slice(-STILL_S).map((m) => m.rssKb);
      if (tail.length === STILL_S && Math.max(...tail) - Math.min(...tail) <= Math.min(...tail) * 0.005) break;
      await sleep(1000);
    }
    const last = seen[seen.length - 1] ?? { rssKb: Number.NaN, heapFreeKb: Number.NaN };
    return { rssKb: last.rssKb, liveKb: last.rssKb - last.heapFreeKb };
  };
  const memBefore = await settled();
  const c = client(server.wsUrl, n, server.client);
  try {
    let t = performance.now();
    let cpu0 = procCpuS(pid);
    await c.connect();
    const connectSeconds = (performance.now() - t) / 1000;
    const connectCpuS = procCpuS(pid) - cpu0;
    const memAfter = await settled();
    const mib = (kb: number): string => (kb / 1024).toFixed(0);
    say(
      `${n} connections in ${connectSeconds.toFixed(1)} s; RSS ${mib(memBefore.rssKb)} -> ${mib(memAfter.rssKb)} MiB, live ${mib(memBefore.liveKb)} -> ${mib(memAfter.liveKb)} MiB`,
    );

    await publishAll(server, WARMUP, 2);
    await c.until(WARMUP * n);
    await untilIdle(pid);

    await c.reset();
    const before = await c.stats();
    cpu0 = procCpuS(pid);
    t = performance.now();
    const first = nowNs();
    await publishAll(server, z.messages, z.publishers);
    const s = await c.until(z.messages * n);
    const burstCpuS = procCpuS(pid) - cpu0;
    if (s.received < z.messages * n) say(`only ${s.received} of ${z.messages * n} deliveries arrived`);
    const burstSeconds = (s.last_ns - first) / 1e9;
    const idle = await untilIdle(pid);
    const idleCpuS = idle.cpuS - cpu0;
    if (idle.timedOut) say('the server did not become idle before the timeout');
    say(
      `burst: ${s.received} deliveries in ${burstSeconds.toFixed(2)} s; idle after ${((idle.atMs - t) / 1000).toFixed(1)} s`,
    );

    await c.reset();
    cpu0 = procCpuS(pid);
    const start = performance.now();
    const sent: Promise<void>[] = [];
    for (let i = 0; i < z.paced; i += 1) {
      await sleep(Math.max(0, start + i * z.paceMs - performance.now()));
      const published = server.publish(stamped());
      published.catch(() => undefined); // reported by Promise.all below, not as unhandled
      sent.push(published);
    }
    await Promise.all(sent);
    const p = await c.until(z.paced * n);
    const pacedCpuS = procCpuS(pid) - cpu0;
    return {
      server: server.name,
      connections: n,
      rssBeforeKb: memBefore.rssKb,
      rssAfterKb: memAfter.rssKb,
      memPerConnKb: (memAfter.rssKb - memBefore.rssKb) / n,
      liveBeforeKb: memBefore.liveKb,
      liveAfterKb: memAfter.liveKb,
      livePerConnKb: (memAfter.liveKb - memBefore.liveKb) / n,
      connectSeconds,
      connectCpuS,
      delivered: s.received,
      burstSeconds,
      burstRate: s.received / burstSeconds,
      burstCpuS,
      burstClientCpuS: clientCpu(s) - clientCpu(before),
      burstP50ms: s.p50_us / 1000,
      burstP99ms: s.p99_us / 1000,
      idleSeconds: (idle.atMs - t) / 1000,
      idleCpuS,
      idleTimedOut: idle.timedOut,
      perCpuBurst: s.received / burstCpuS,
      perCpuUntilIdle: s.received / idleCpuS,
      pacedDelivered: p.received,
      pacedP50ms: p.p50_us / 1000,
      pacedP99ms: p.p99_us / 1000,
      pacedCpuS,
    };
  } finally {
    await c.close().catch(() => undefined);
    c.quit();
  }
};
