// Shared by the realtime benchmarks: starts the built broker (dist/bin/msgxc.js) on the
// embedded defaults on a free 127.0.0.1 port, and talks to its HTTP API as a user would.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { collectAndMeasure, type Heaps } from './inspector.js';
import { lines, pool, ROOT } from './loadclient.js';

export const SECRET = 'bench-secret-0123456789-0123456789-abcdef';

export interface Broker {
  proc: ChildProcess;
  port: number;
  /** A full garbage collection through the inspector (only when started with `inspect`). */
  gc: () => Promise<void>;
  /** Garbage collection in every thread, then their V8 heaps (only when started with `inspect`). */
  heaps: () => Promise<Heaps>;
}

export const startBroker = async (
  dataDir: string,
  opts: {
    inspect?: boolean;
    env?: Record<string, string>;
    root?: string;
    /** Each line the broker writes to stderr (instead of passing them through). */
    onStderr?: (line: string) => void;
  } = {},
): Promise<Broker> => {
  const inspect = opts.inspect ?? false;
  const proc = spawn(
    process.execPath,
    [
      ...(inspect ? ['--inspect=127.0.0.1:0'] : []),
      // e.g. BENCH_BROKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" (NODE_OPTIONS refuses --cpu-prof).
      ...(process.env['BENCH_BROKER_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== ''),
      join(opts.root ?? ROOT, 'dist/bin/msgxc.js'),
    ],
    {
      env: {
        ...process.env,
        MSGXC_PORT: '0',
        MSGXC_DATA_DIR: dataDir,
        MSGXC_JWT_SECRET: SECRET,
        MSGXC_LOG_LEVEL: 'warn',
        MSGXC_WS_MAX_SESSIONS_PER_USER: '4',
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', inspect || opts.onStderr !== undefined ? 'pipe' : 'inherit'],
    },
  );
  // BENCH_BROKER_LOG=FILE: the broker's log (its stdout) is appended there, for a run that fails.
  const logFile = process.env['BENCH_BROKER_LOG'];
  if (logFile !== undefined && proc.stdout !== null) proc.stdout.pipe(createWriteStream(logFile, { flags: 'a' }));
  if (!inspect && opts.onStderr !== undefined && proc.stderr !== null)
    createInterface({ input: proc.stderr }).on('line', opts.onStderr);
  // With the inspector on, a full garbage collection can be asked for from outside (Chrome
  // DevTools Protocol), so RSS readings compare live memory rather than uncollected garbage.
  const inspector =
    inspect && proc.stderr !== null
      ? new Promise<string>((res) => {
          createInterface({ input: proc.stderr as NodeJS.ReadableStream }).on('line', (l) => {
            const m = /Debugger listening on (ws:\/\/\S+)/.exec(l);
            if (m?.[1] !== undefined) res(m[1]);
            // The broker's own warnings still reach the terminal.
            else if (!/^(For help, see|Debugger (attached|ending)|Waiting for the debugger)/.test(l))
              process.stderr.write(`${l}\n`);
          });
        })
      : undefined;
  const exited = new Promise<never>((_, rej) =>
    proc.once('exit', (code) => {
      rej(new Error(`msgxc exited (${String(code)}) before listening`));
    }),
  );
  const line = await Promise.race([lines(proc)((l) => l.startsWith('msgxc listening')), exited]);
  exited.catch(() => undefined);
  const gc = async (): Promise<void> => {
    if (inspector === undefined) return;
    const ws = new WebSocket(await inspector);
    await new Promise((res) => ws.once('open', res));
    for (let id = 1; id <= 2; id += 1) {
      ws.send(JSON.stringify({ id, method: 'HeapProfiler.collectGarbage' }));
      await new Promise<void>((res) => {
        ws.on('message', (d: Buffer) => {
          if ((JSON.parse(d.toString()) as { id?: number }).id === id) res();
        });
      });
    }
    ws.close();
  };
  const heaps = async (): Promise<Heaps> => {
    if (inspector === undefined) throw new Error('the broker was started without the inspector');
    return collectAndMeasure(await inspector);
  };
  return { proc, port: Number(/:(\d+) /.exec(line)?.[1]), gc, heaps };
};

export const tokenFor = (sub: string, roles: string[] = []): Promise<string> =>
  new SignJWT({ roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setExpirationTime('2h')
    .sign(Buffer.from(SECRET));

export const post = async (base: string, path: string, token: string, body: unknown): Promise<void> => {
  const r = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (r.status >= 300) throw new Error(`${path}: ${r.status} ${await r.text()}`);
};

/** Opens thread `tid` (as admin) and subscribes users <prefix>0..n-1 to it; answers the admin token. */
export const openThreadFor = async (base: string, tid: string, n: number, prefix: string): Promise<string> => {
  const admin = await tokenFor('admin', ['admin']);
  await post(base, '/api/v2/threads', admin, { tid, opens: true });
  const tokens = await Promise.all(Array.from({ length: n }, (_, i) => tokenFor(`${prefix}${i}`)));
  // One stream takes every subscription: few at a time, retrying the writes that lost a race.
  const subscribe = async (i: number): Promise<void> => {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await post(base, '/api/v2/subscribe', tokens[i] ?? '', { tid });
        return;
      } catch (e) {
        if (attempt > 20) throw e;
      }
    }
  };
  await pool(n, 4, subscribe);
  return admin;
};
