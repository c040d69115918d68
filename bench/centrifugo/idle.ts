// "Until the server is idle again": the server's CPU (all its threads, /proc/<pid>/stat) is
// sampled; the server is idle once a whole window used at most `maxCores` of a core. What it
// did up to the start of that window is the work the load caused (its own background work,
// such as timers and pings, is in both servers' figures alike and is small against the
// threshold).
import { procCpuS, sleep } from '../loadclient.js';

export interface IdleOptions {
  windowMs: number;
  sampleMs: number;
  maxCores: number;
  timeoutMs: number;
}

export const IDLE_DEFAULTS: IdleOptions = { windowMs: 2000, sampleMs: 250, maxCores: 0.05, timeoutMs: 900_000 };

export interface Idle {
  /** Wall-clock time (ms, performance.now) and CPU-seconds where the idle window began. */
  atMs: number;
  cpuS: number;
  timedOut: boolean;
}

export const untilIdle = async (pid: number, o: IdleOptions = IDLE_DEFAULTS): Promise<Idle> => {
  const samples: { t: number; cpu: number }[] = [];
  const end = performance.now() + o.timeoutMs;
  for (;;) {
    const t = performance.now();
    const cpu = procCpuS(pid);
    samples.push({ t, cpu });
    // Keep the shortest tail of samples that still spans a whole window.
    while (samples.length > 1 && t - (samples[1]?.t ?? t) >= o.windowMs) samples.shift();
    const first = samples[0];
    if (first !== undefined && t - first.t >= o.windowMs) {
      const cores = (cpu - first.cpu) / ((t - first.t) / 1000);
      if (cores <= o.maxCores) return { atMs: first.t, cpuS: first.cpu, timedOut: false };
    }
    if (t > end) return { atMs: t, cpuS: cpu, timedOut: true };
    await sleep(o.sampleMs);
  }
};
