// Shared by the realtime benchmarks (bench/fanout.ts, bench/centrifugo/): drives the Go load
// client (bench/fanout-client) line by line, reads a process's CPU and memory from /proc, and
// runs jobs a few at a time.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CLIENT = join(ROOT, 'dist/bench/fanout-client');

/** What the load client reports (`stats`); latencies in microseconds, times in unix ns. */
export interface Stats {
  received: number;
  p50_us: number;
  p99_us: number;
  max_us: number;
  first_ns: number;
  last_ns: number;
  cpu_user_s: number;
  cpu_sys_s: number;
}

export const nowNs = (): number => Math.round((performance.timeOrigin + performance.now()) * 1e6);
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** CPU-seconds (user + system, every thread) the process has used so far. */
export const procCpuS = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(f[11]) + Number(f[12])) / 100;
};
export const rssKb = (pid: number): number =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

/** Waits for the first stdout line of `proc` that matches (each line answers one waiter). */
export const lines = (proc: ChildProcess): ((match: (l: string) => boolean) => Promise<string>) => {
  const seen: string[] = [];
  const waiters = new Set<() => void>();
  if (proc.stdout === null) throw new Error('no stdout');
  createInterface({ input: proc.stdout }).on('line', (l) => {
    seen.push(l);
    for (const w of waiters) w();
  });
  return (match) =>
    new Promise((res) => {
      const check = (): boolean => {
        const i = seen.findIndex(match);
        if (i < 0) return false;
        res(seen.splice(i, 1)[0] ?? '');
        return true;
      };
      if (check()) return;
      const w = (): void => {
        if (check()) waiters.delete(w);
      };
      waiters.add(w);
    });
};

export interface ClientOptions {
  secret?: string;
  prefix?: string;
  /** msgxc: the frame type that marks a session live. */
  ready?: string;
  /** `centrifugo` speaks Centrifugo's JSON protocol (token with a `channels` claim). */
  mode?: 'msgxc' | 'centrifugo';
  channel?: string;
}

export type LoadClient = ReturnType<typeof client>;

/** One load-client process holding `n` connections to `url`. */
export const client = (url: string, n: number, opts: ClientOptions) => {
  const args = ['-url', url, '-n', String(n), '-secret', opts.secret ?? '', '-prefix', opts.prefix ?? 'u'];
  args.push('-ready', opts.ready ?? 'unseen', '-mode', opts.mode ?? 'msgxc', '-channel', opts.channel ?? 'bench');
  // Built on first use (Go module proxy): every bench that drives it works from a clean clone.
  if (!existsSync(CLIENT))
    execFileSync('go', ['build', '-o', CLIENT, '.'], { cwd: join(ROOT, 'bench/fanout-client'), stdio: 'inherit' });
  const proc = spawn(CLIENT, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const next = lines(proc);
  // A client that died answers no command: every later command fails instead of waiting forever.
  const exited = new Promise<never>((_, rej) =>
    proc.once('exit', (code, signal) => {
      rej(new Error(`load client exited (${String(code ?? signal)})`));
    }),
  );
  exited.catch(() => undefined);
  proc.stdin.on('error', () => undefined); // a write after the exit: reported by `exited`
  const cmd = async (c: string, event: string): Promise<Record<string, unknown>> => {
    proc.stdin.write(`${c}\n`);
    const line = await Promise.race([next((l) => l.includes(`"event":"${event}"`)), exited]);
    return JSON.parse(line) as Record<string, unknown>;
  };
  return {
    proc,
    connect: async () => {
      const r = await cmd('connect', 'connected');
      if (Number(r['failed']) > 0) throw new Error(`${String(r['failed'])} connections failed: ${String(r['error'])}`);
    },
    reset: () => cmd('reset', 'reset'),
    stats: async () => (await cmd('stats', 'stats')) as unknown as Stats,
    close: () => cmd('close', 'closed'),
    quit: () => {
      proc.stdin.write('quit\n');
    },
    /**
     * Polls until `expected` messages arrived (or the time is up), then returns the stats. It
     * polls the count only: stats sorts every latency so far, which on a 2-core machine would
     * take CPU from the server while it is still delivering.
     */
    until: async function (expected: number, timeoutMs = 120_000): Promise<Stats> {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const received = Number((await cmd('count', 'count'))['received']);
        if (received >= expected || Date.now() > end) return this.stats();
        await sleep(200);
      }
    },
  };
};

/** Runs `job(0..count-1)`, `concurrency` at a time. */
export const pool = async (count: number, concurrency: number, job: (i: number) => Promise<void>): Promise<void> => {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next;
        next += 1;
        await job(i);
      }
    }),
  );
};
