// msgxc against Centrifugo on one machine, driven by the same Go load client: N websocket
// connections on one channel/thread, a burst of M ~100-byte messages from P HTTP publishers,
// then paced messages. The servers alternate within one invocation (the order rotates every
// round) and the table shows medians. Run it with `bash bench/centrifugo/compare.sh [--quick]`,
// which builds everything and passes CENTRIFUGO_BIN.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../loadclient.js';
import { measure, type Run, type Sizes } from './measure.js';
import { table } from './report.js';
import { type Server, startBareUws, startCentrifugo, startMsgxc, stopAll } from './servers.js';

const say = (s: string): void => {
  process.stderr.write(`[compare ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
};

const { values: a } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'no-memory': { type: 'boolean', default: false },
    runs: { type: 'string' },
    connections: { type: 'string' },
    messages: { type: 'string' },
    publishers: { type: 'string' },
    paced: { type: 'string' },
    'pace-ms': { type: 'string' },
    servers: { type: 'string', default: 'msgxc,centrifugo,msgxc-reactors-off' },
  },
});
const num = (v: string | undefined, quick: number, full: number): number => {
  const x = Number(v ?? (a.quick ? quick : full));
  if (!Number.isInteger(x) || x <= 0) throw new Error(`not a positive integer: ${String(v)}`);
  return x;
};
const sizes: Sizes = {
  connections: num(a.connections, 1000, 10_000),
  messages: num(a.messages, 200, 200),
  publishers: num(a.publishers, 8, 8),
  paced: num(a.paced, 10, 30),
  paceMs: num(a['pace-ms'], 200, 200),
  noMemory: a['no-memory'],
};
const runs = num(a.runs, 1, 3);
const bin = process.env['CENTRIFUGO_BIN'] ?? '';

// Each load client and each server is one process under the open-file limit (20,000 here).
const limit = Number(execFileSync('bash', ['-c', 'ulimit -n']).toString().trim());
if (Number.isFinite(limit) && sizes.connections > limit - 500)
  throw new Error(`${sizes.connections} connections do not fit under the open-file limit of ${limit}`);

const KINDS: Record<string, { name: string; start: (dir: string) => Promise<Server> }> = {
  msgxc: { name: 'msgxc', start: (dir) => startMsgxc('msgxc', dir, sizes.connections, {}) },
  // The delivery reactors in a worker thread of their own (MSGXC_REACTORS_THREAD=true, not the default).
  'msgxc-reactors-thread': {
    name: 'msgxc, reactors thread',
    start: (dir) => startMsgxc('msgxc, reactors thread', dir, sizes.connections, { MSGXC_REACTORS_THREAD: 'true' }),
  },
  'msgxc-reactors-off': {
    name: 'msgxc, reactors off',
    start: (dir) => startMsgxc('msgxc, reactors off', dir, sizes.connections, { MSGXC_REACTORS: 'false' }),
  },
  // Another build (BENCH_BASELINE_ROOT: a checkout with its dist/ built, e.g. main), with the
  // reactors on: branch and baseline alternate in one invocation.
  'msgxc-baseline': {
    name: 'msgxc baseline',
    start: (dir) => {
      const root = process.env['BENCH_BASELINE_ROOT'] ?? '';
      if (root === '') throw new Error('BENCH_BASELINE_ROOT is not set (a checkout with a built dist/)');
      return startMsgxc('msgxc baseline', dir, sizes.connections, {}, root);
    },
  },
  // The bare uWS loop (bench/fanout-baseline.ts): HTTP publish -> app.publish, nothing else.
  'uws-bare': { name: 'bare uWS', start: () => startBareUws() },
  centrifugo: {
    name: 'Centrifugo',
    start: (dir) => {
      if (bin === '') throw new Error('CENTRIFUGO_BIN is not set (bench/centrifugo/compare.sh sets it)');
      return startCentrifugo(bin, dir);
    },
  },
};
// `msgxc+KEY=VALUE+...` (or `msgxc-baseline+...`): that build with these settings added to its
// environment, a variant alternated with the others in the same invocation.
const variant = (spec: string): { name: string; start: (dir: string) => Promise<Server> } | undefined => {
  const [base = '', ...pairs] = spec.split('+');
  if (pairs.length === 0 || (base !== 'msgxc' && base !== 'msgxc-baseline')) return undefined;
  const env = Object.fromEntries(
    pairs.map((p) => {
      const at = p.indexOf('=');
      if (at <= 0) throw new Error(`not KEY=VALUE: ${p} in ${spec}`);
      return [p.slice(0, at), p.slice(at + 1)];
    }),
  );
  const root = base === 'msgxc-baseline' ? process.env['BENCH_BASELINE_ROOT'] : undefined;
  if (root === '') throw new Error('BENCH_BASELINE_ROOT is not set (a checkout with a built dist/)');
  const name = `${base === 'msgxc' ? 'msgxc' : 'msgxc baseline'} ${pairs.join(' ')}`;
  return { name, start: (dir) => startMsgxc(name, dir, sizes.connections, env, root) };
};
const kinds = a.servers.split(',').map((s) => {
  const kind = KINDS[s.trim()] ?? variant(s.trim());
  if (kind === undefined)
    throw new Error(`unknown server ${s}; known: ${Object.keys(KINDS).join(', ')}, msgxc+KEY=VALUE`);
  return kind;
});

const version = (cmd: string, args: string[]): string => {
  try {
    return execFileSync(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return 'unknown';
  }
};

// Interrupted: the server of the run in progress is stopped (by its PID) and its folder removed.
let currentDir = '';
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    say(`${signal}: stopping the server`);
    void stopAll().finally(() => {
      if (currentDir !== '') rmSync(currentDir, { recursive: true, force: true });
      process.exit(130);
    });
  });

const main = async (): Promise<void> => {
  const results: (Run & { round: number; load1: number })[] = [];
  const started = new Date().toISOString();
  say(`${runs} round(s) of ${kinds.map((k) => k.name).join(', ')}; ${JSON.stringify(sizes)}`);
  for (let round = 0; round < runs; round += 1) {
    const shift = round % kinds.length;
    for (const kind of [...kinds.slice(shift), ...kinds.slice(0, shift)]) {
      const dir = mkdtempSync(join(tmpdir(), 'msgxc-vs-centrifugo-'));
      currentDir = dir;
      const load1 = loadavg()[0] ?? 0;
      say(`round ${round + 1}: ${kind.name} (load average ${load1.toFixed(1)})`);
      try {
        const server = await kind.start(dir);
        try {
          results.push({ ...(await measure(server, sizes, say)), round: round + 1, load1 });
        } finally {
          await server.stop();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  const loads = results.map((r) => r.load1);
  const names = ['Centrifugo', ...kinds.map((k) => k.name).filter((n) => n !== 'Centrifugo')];
  const commit = `${version('git', ['rev-parse', '--short', 'HEAD'])}${version('git', ['status', '--porcelain']) === '' ? '' : ' (uncommitted changes)'}`;
  process.stdout.write(
    [
      `Run ${started} to ${new Date().toISOString()}; load average (1 min) at the start of each run ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}; ${version('nproc', [])} cores.`,
      `Sizes: ${sizes.connections.toLocaleString('en')} connections on one channel/thread; burst of ${sizes.messages} messages of ~100 bytes from ${sizes.publishers} HTTP publishers; paced: ${sizes.paced} messages, one every ${sizes.paceMs} ms; ${runs} alternating round(s), medians (range).`,
      `Versions: msgxc ${commit} on Node ${process.version}; ${version(bin, ['version'])}; load client ${version('go', ['version'])}.`,
      'Ratios are of the medians, oriented so that above 1 means msgxc does better.',
      '',
      table(results, names, 'Centrifugo'),
      '',
      JSON.stringify({ sizes, runs: results }),
      '',
    ].join('\n'),
  );
};

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
