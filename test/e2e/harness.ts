import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { SignJWT } from 'jose';
import { isProductionStack, stackEnv } from './stack.js';

// Starts the BUILT broker (dist/bin/msgxc.js, as `npm start` does) as a real process on a
// free port, and talks to it over HTTP. `npm run test:e2e` builds first.
export const SECRET = 'e2e-secret-0123456789-0123456789-abcdef';
const BIN = resolve(import.meta.dirname, '../../dist/bin/msgxc.js');

export interface Server {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly proc: ChildProcess;
  readonly output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

// Every test file (in each e2e project: vitest loads this module afresh per file) is a run of
// its own: its brokers publish under their own NATS subject prefix, and each broker has its
// own node id, so two files, or the same file in the e2e and e2e-production projects, never
// hear each other on a shared nats-server. Brokers of one file that should talk share RUN.
export const RUN = randomBytes(4).toString('hex');
export const BUS_PREFIX = `e2e${RUN}`;
/** A node id unique to this run, e.g. nodeId('node-a') for a test that names its nodes. */
export const nodeId = (name: string): string => `${name}-${RUN}`;
// Derived from the data directory: a broker restarted on its directory is the same node again
// (its delivery claims are retaken at once), and two directories are two nodes.
const nodeOf = (dataDir: string): string =>
  nodeId(`n${createHash('sha256').update(basename(dataDir)).digest('hex').slice(0, 8)}`);

export const tempDir = (prefix = 'msgxc-e2e-'): string => mkdtempSync(join(tmpdir(), prefix));
export const removeDir = (dir: string): void => {
  rmSync(dir, { recursive: true, force: true });
};

// A broker on the production stack creates its Cassandra keyspace and tables at start-up; late in
// a full run (hundreds of keyspaces on one test Cassandra) and with two nodes migrating the same
// keyspace at once, that took more than 30 s once (a rehearsal's realtime-nodes.e2e).
const START_TIMEOUT_MS = isProductionStack() ? 90_000 : 30_000;

export const startServer = async (
  opts: { dataDir?: string; env?: Record<string, string>; port?: number; args?: readonly string[] } = {},
): Promise<Server> => {
  const dataDir = opts.dataDir ?? tempDir();
  const proc = spawn(process.execPath, [BIN, ...(opts.args ?? [])], {
    env: {
      PATH: process.env['PATH'] ?? '',
      MSGXC_PORT: String(opts.port ?? 0),
      MSGXC_DATA_DIR: dataDir,
      MSGXC_JWT_SECRET: SECRET,
      MSGXC_LOG_LEVEL: 'info',
      MSGXC_BUS_PREFIX: BUS_PREFIX,
      MSGXC_NODE_ID: nodeOf(dataDir),
      ...stackEnv(dataDir),
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((res) =>
    proc.once('exit', (code) => {
      res(code);
    }),
  );
  const port = await new Promise<number>((res, rej) => {
    const timer = setTimeout(() => {
      rej(new Error(`server did not start:\n${out}`));
    }, START_TIMEOUT_MS);
    const check = (): void => {
      const m = /msgxc listening on http:\/\/[^:]+:(\d+)/.exec(out);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        res(Number(m[1]));
      }
    };
    proc.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      rej(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  // Guard against a production-stack run that silently fell back to the embedded engines.
  if (isProductionStack() && !/event store: nats:\/\//.test(out))
    throw new Error(`expected the JetStream log:\n${out}`);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    proc,
    output: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill(signal);
      return exited;
    },
  };
};

export const token = (
  sub: string,
  roles: string[] = [],
  opts: { exp?: number; secret?: string } = {},
): Promise<string> =>
  new SignJWT({ roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setExpirationTime(opts.exp ?? Math.floor(Date.now() / 1000) + 3600)
    .sign(Buffer.from(opts.secret ?? SECRET));

export interface Reply {
  status: number;
  body: unknown;
  headers: Headers;
  text: string;
}

export const call = async (
  server: { url: string },
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Reply> => {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token !== undefined) headers['authorization'] = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(`${server.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON: keep text */
  }
  return { status: res.status, body: parsed, headers: res.headers, text };
};

/** Waits until the server's output matches (log lines are written asynchronously). */
export const waitForOutput = async (server: Server, re: RegExp, timeoutMs = 5000): Promise<string> => {
  const until = Date.now() + timeoutMs;
  while (!re.test(server.output())) {
    if (Date.now() > until) throw new Error(`output never matched ${re}:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return server.output();
};
