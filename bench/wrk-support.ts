// What the HTTP benchmarks share: a built broker started as a process, wrk as the load
// generator (C, one thread; installed from Debian's packages by bench/install-wrk.sh on first
// use), and the send request wrk repeats.
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SignJWT } from 'jose';

export const SECRET = 'bench-secret-0123456789-0123456789-abcdef';

export interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  /** Non-2xx answers and socket errors together. */
  errors: number;
  /** What `errors` counts, by kind, for the report (e.g. "non-2xx 3, timeout 45"); empty when none. */
  errorKinds: string;
  requests: number;
}

const ms = (v: string, unit: string): number => Number(v) * ({ us: 0.001, ms: 1, s: 1000 }[unit] ?? Number.NaN);

export const parseWrk = (out: string): WrkResult => {
  const pct = (p: string): number => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out);
    return m?.[1] !== undefined && m[2] !== undefined ? ms(m[1], m[2]) : Number.NaN;
  };
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const sockErr = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = sockErr ? sockErr.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  // wrk's socket errors by kind: a timeout (wrk gives up after 2 s) is not a refusal by the server.
  const kinds: [string, number][] = [
    ['non-2xx', non2xx],
    ...['connect', 'read', 'write', 'timeout'].map((k, i): [string, number] => [k, Number(sockErr?.[i + 1] ?? 0)]),
  ];
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN),
    p50: pct('50'),
    p99: pct('99'),
    errors: non2xx + socketErrors,
    errorKinds: kinds
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${String(n)}`)
      .join(', '),
    requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0),
  };
};

export interface BenchServer {
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Starts `bin` (a built dist/bin/msgxc.js) on a free port with its data in `dataDir`. */
export const startServer = async (
  bin: string,
  dataDir: string,
  env: Record<string, string> = {},
): Promise<BenchServer> => {
  // e.g. BENCH_BROKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" (NODE_OPTIONS refuses --cpu-prof).
  const nodeArgs = (process.env['BENCH_BROKER_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  const proc = spawn(process.execPath, [...nodeArgs, bin], {
    env: {
      ...process.env,
      MSGXC_PORT: '0',
      MSGXC_DATA_DIR: dataDir,
      MSGXC_JWT_SECRET: SECRET,
      MSGXC_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const exited = new Promise<void>((res) => {
    proc.once('exit', () => {
      res();
    });
  });
  const port = await new Promise<number>((res, rej) => {
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /msgxc listening on http:\/\/[^:]+:(\d+)/.exec(out);
      if (m?.[1] !== undefined) res(Number(m[1]));
    });
    void exited.then(() => {
      rej(new Error(`server exited: ${out}`));
    });
  });
  return {
    port,
    pid: proc.pid ?? 0,
    stop: async () => {
      proc.kill('SIGTERM');
      await exited;
    },
  };
};

let wrkBin: string | undefined;
/** wrk's path: on a new machine bench/install-wrk.sh installs it first (its log on stderr). */
const wrkPath = (): string => {
  if (wrkBin !== undefined) return wrkBin;
  const script = join(resolve(import.meta.dirname, '../..'), 'bench/install-wrk.sh');
  const out = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const bin = out.trim().split('\n').pop();
  if (bin === undefined || bin === '') throw new Error(`${script} printed no path`);
  wrkBin = bin;
  return bin;
};

export const wrk = (url: string, opts: { connections: number; duration: string; script?: string }): WrkResult => {
  const args = [
    '-t1',
    `-c${opts.connections}`,
    `-d${opts.duration}`,
    '--latency',
    ...(opts.script !== undefined ? ['-s', opts.script] : []),
    url,
  ];
  return parseWrk(execFileSync(wrkPath(), args, { encoding: 'utf8' }));
};

export const adminToken = (): Promise<string> =>
  new SignJWT({ roles: ['admin'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('bench')
    .setExpirationTime('2h')
    .sign(Buffer.from(SECRET));

/** A wrk script for `POST /api/v2/send`: each request addresses another user, as a notification service would. */
export const sendScript = (dir: string, admin: string): string => {
  const file = join(dir, 'send.lua');
  writeFileSync(
    file,
    `
    local n = 0
    wrk.method = "POST"
    wrk.headers["Authorization"] = "Bearer ${admin}"
    wrk.headers["Content-Type"] = "application/json"
    request = function()
      n = n + 1
      return wrk.format(nil, nil, nil, '{"msg":"benchmark message of about one hundred bytes, like a chat line or a short alert text","uid":"user-' .. (n % 10000) .. '"}')
    end`,
  );
  return file;
};
