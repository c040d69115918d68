// A new reactors node's time to first delivery on a long log (issue 15, "Reactor processes"):
// replaying the whole log into an empty reactors.db against restoring the stored snapshot of
// delivery's state (app/reactors-snapshots.ts) and replaying only the tail after it.
//   npx tsc -p tsconfig.build.json && node --max-old-space-size=8192 dist/bench/reactor-cold-start.js [events=1000000]
// The log and its options (BENCH_DIR, BENCH_USERS, BENCH_PROGRESS, BENCH_BUILD_SECONDS,
// BENCH_BUILD_ONLY, BENCH_BUILD, BENCH_SCRATCH) are in bench/reactor-cold-start-build.ts: built
// with an old node's reactors running beside the generator, or reused from BENCH_DIR (a separate
// file since 2026-12-06: the build is the long part, run once and reused by measurement runs).
// The measurement appends to the log it reuses (its urgent messages, the tail, the nodes' own
// events), so a reused log grows by about 20,000 events a run. Then:
//   warm:     the old node, caught up, gets an urgent message to an offline user with a phone:
//             append -> the channel's deliver() (3 messages);
//   snapshot: the old node stores a snapshot (VACUUM INTO, put into a JetStream object store:
//             BENCH_NATS_URL, else Debian's nats-server started here), then the deployment goes on
//             for BENCH_TAIL traffic steps (default 2048, with the old node's own events), then stops;
//   new node: restored (snapshot, then the tail), cold (empty reactors.db, the whole log),
//             restored again; each start -> the first delivery of an urgent message appended at
//             once, with the position its followers first read from.
// The embedded log belongs to one process (its writer and followers), so the new nodes run in
// this process, each with its own state file: the same followers and state engine as
// `MSGXC_ROLE=reactors` (app/delivery.ts), on the log as stored (no sealing layer).
// BENCH_STACK=production: the log on JetStream R3 (the current nats-server, three nodes, started
// from test/infra as the e2e-production tier starts it, or MSGXC_TEST_NATS_CURRENT_CLUSTER_URLS;
// bench/production-stack.ts): the built log (events.db, kept or reused as above) is copied in
// order into a stream of its own, the nodes follow that stream, and the snapshots go to an
// object store on the same cluster (R3), as on a production node. Delivery's state stays SQLite
// (as on every stack); the old node works on a copy of its state file, so BENCH_DIR stays reusable.
//   npx tsc -p tsconfig.build.json && BENCH_STACK=production npx vite-node bench/reactor-cold-start.ts [events]
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { openSqliteDeliveryState } from '../adapters/delivery-state/sqlite.js';
import { openJetStreamSnapshots } from '../adapters/state-snapshot/jetstream-object.js';
import { restoreDeliveryState, startStateSnapshots } from '../app/reactors-snapshots.js';
import { DISPATCH_REACTOR } from '../delivery/runner.js';
import { TRIAGE_REACTOR } from '../delivery/triage.js';
import type { ChannelMap } from '../delivery/types.js';
import type { Channel, Delivery, Recipient } from '../ports/channel.js';
import type { EventStore } from '../ports/eventstore.js';
import type { Logger } from '../ports/log.js';
import { watchedReads } from '../test/integration/fixtures/watched-log.js';
import {
  clock,
  dir,
  ensureLog,
  keep,
  logOptions,
  node,
  online,
  openLog,
  THREADS,
  USERS,
} from './reactor-cold-start-build.js';
import { appendOne, hasEmail, hasPhone, reactorLog, uidOf } from './reactor-log.js';

// Records when each message first reaches a channel.
const delivered = new Map<string, number>();
const waiters = new Map<string, () => void>();
const recorder = <R extends Recipient>(kind: R['channel']): Channel<R> => ({
  kind,
  provider: 'recorder',
  deliver: (batch: readonly Delivery<R>[]) => {
    for (const d of batch) {
      if (d.content.kind !== 'message') continue;
      const mid = d.content.message.mid;
      if (!delivered.has(mid)) delivered.set(mid, performance.now());
      waiters.get(mid)?.();
    }
    return Promise.resolve(batch.map(() => ({ kind: 'delivered' as const })));
  },
  close: () => Promise.resolve(),
});
const channels = {
  webpush: recorder('webpush'),
  fcm: recorder('fcm'),
  apns: recorder('apns'),
  email: recorder('email'),
  sms: recorder('sms'),
} as ChannelMap;
const deliveredAt = (mid: string, timeoutMs: number): Promise<number> =>
  new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      reject(new Error(`${mid} not delivered within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (): void => {
      clearTimeout(t);
      waiters.delete(mid);
      resolve(delivered.get(mid) ?? performance.now());
    };
    if (delivered.has(mid)) done();
    else waiters.set(mid, done);
  });

const quiet = (): void => undefined;
const silentLogger: Logger = { info: quiet, warn: quiet, error: quiet, debug: quiet };
const TAIL = Number(process.env['BENCH_TAIL'] ?? 2_048);
const load = (): string => loadavg()[0]?.toFixed(1) ?? '?';

// A JetStream server for the snapshot's object store: BENCH_NATS_URL, else Debian's nats-server
// (test/infra/install-nats.sh) started here on a free port, its store in the bench's folder.
const natsServer = async (): Promise<{ url: string; version: string; stop: () => Promise<void> }> => {
  const given = process.env['BENCH_NATS_URL'];
  if (given !== undefined) return { url: given, version: 'given', stop: () => Promise.resolve() };
  const storeDir = join(dir, 'nats');
  rmSync(storeDir, { recursive: true, force: true });
  const child = spawn('nats-server', ['-js', '-sd', storeDir, '-a', '127.0.0.1', '-p', '-1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const seen = (b: Buffer): void => {
      out += b.toString();
      const m = /Listening for client connections on (\S+)/.exec(out);
      if (m?.[1] !== undefined) resolve(`nats://${m[1]}`);
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.once('exit', (code) => {
      reject(new Error(`nats-server exited (${code}): ${out}`));
    });
  });
  const version = /Version:\s+(\S+)/.exec(out)?.[1] ?? '?';
  return {
    url,
    version,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => {
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
};

// Offline users with a phone and no email address: an urgent message to one is one push, at once.
let nextTarget = 1;
const target = (): string => {
  for (let u = nextTarget; ; u += 1)
    if (!online(uidOf(u)) && hasPhone(u) && !hasEmail(u)) {
      nextTarget = u + 1;
      return uidOf(u);
    }
};
const sendUrgent = async (s: EventStore): Promise<string> => {
  const m = reactorLog(s, clock, logOptions).message({ kind: 'user', uid: target() }, 4);
  await appendOne(s, m);
  return (m.data as { mid: string }).mid;
};

const reused = await ensureLog(channels);
const { store, stack, oldStateFile, count } = await openLog();
const head = await store.head();
console.log(
  `log: ${count(head)} ${stack === undefined ? 'events' : 'messages'} (${USERS} users, ${THREADS} threads)${reused ? ', reused' : ''}; load ${load()}`,
);

// Warm: the running node's append -> delivery.
const oldState = openSqliteDeliveryState(oldStateFile);
const old = node(store, oldState, 'old', channels);
if (stack !== undefined) {
  const replaying = performance.now();
  await old.waitFor(head, 3_600_000);
  console.log(`  the old node replayed the JetStream log in ${((performance.now() - replaying) / 1000).toFixed(0)} s`);
}
await old.settle(600_000);
const warm: number[] = [];
for (let i = 0; i < 3; i += 1) {
  const t = performance.now();
  const mid = await sendUrgent(store);
  warm.push((await deliveredAt(mid, 60_000)) - t);
}
warm.sort((a, b) => a - b);
await old.settle(60_000);

// The running node stores a snapshot of its state, then the deployment goes on (the tail a
// restoring node replays), then it stops: the new nodes below must deliver by themselves.
const nats =
  stack === undefined
    ? await natsServer()
    : {
        url: stack.natsUrls.join(','),
        version: `${process.env['MSGXC_TEST_NATS_CURRENT_CLUSTER_VERSION'] ?? '?'}, R3`,
        stop: () => Promise.resolve(),
      };
const snapshots = await openJetStreamSnapshots({
  servers: stack?.natsUrls ?? [nats.url],
  bucket: `BENCH_${process.pid}_REACTORS`,
  replicas: stack === undefined ? 1 : 3,
});
const snapshotter = startStateSnapshots({
  file: oldStateFile,
  snapshots,
  everyMs: 0,
  followers: [TRIAGE_REACTOR, DISPATCH_REACTOR],
  log: silentLogger,
});
const snapStart = performance.now();
const snap = await snapshotter.take();
const snapMs = performance.now() - snapStart;
if (snap === undefined) throw new Error('no snapshot taken');
await snapshotter.close();
const snapLoad = load();
await reactorLog(store, clock, logOptions).traffic(TAIL);
await old.waitFor(await store.head(), 3_600_000);
await old.settle(600_000);
await old.stop();
await oldState.close();
const tail = count(await store.head()) - count(snap.position);

// A new node: an empty reactors.db (replay), or the snapshot restored into it. The clock of a
// start includes the restore; an urgent message is appended at once; the first read position
// of its followers is noted, and the load average at its start and end.
const newNode = async (name: string, restore: boolean) => {
  const file = join(dir, `reactors-${name}.db`);
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
  const reads: number[] = [];
  const watchedStore = watchedReads(store, reads);
  const loads = [load()];
  const startAt = performance.now();
  if (restore) await restoreDeliveryState(file, snapshots, silentLogger);
  const restored = performance.now() - startAt;
  const state = openSqliteDeliveryState(file);
  const reactors = node(watchedStore, state, name, channels);
  const mid = await sendUrgent(store);
  const first = (await deliveredAt(mid, 3_600_000)) - startAt;
  const head = await store.head();
  await reactors.waitFor(head, 3_600_000);
  const caughtUp = performance.now() - startAt;
  loads.push(load());
  await reactors.settle(600_000);
  await reactors.stop();
  await state.close();
  return { first, caughtUp, restored, from: Math.min(...reads), head, loads: loads.join(' -> ') };
};
const restored1 = await newNode('restored-1', true);
const cold = await newNode('cold', false);
const restored2 = await newNode('restored-2', true);
await snapshots.clear();
await snapshots.close();
await nats.stop();
await store.close();
await stack?.stop();
if (keep === undefined) rmSync(dir, { recursive: true, force: true });

const s = (ms: number): string => (ms / 1000).toFixed(2);
const warmMedian = warm[1] ?? 0;
const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
console.log(
  `warm node, append -> delivery: ${warm.map((w) => w.toFixed(1)).join(' / ')} ms (median ${warmMedian.toFixed(1)})`,
);
console.log(
  `snapshot: VACUUM INTO + put into the JetStream object store (nats-server ${nats.version}): ${s(snapMs)} s, ${mib(snap.bytes)} MiB at position ${snap.position} (load ${snapLoad}); tail after it: ${tail} events`,
);
console.log(
  `cold node (empty reactors.db), start -> first delivery: ${s(cold.first)} s (first read after ${cold.from}); caught up with ${count(cold.head)} events in ${s(cold.caughtUp)} s = ${Math.round(count(cold.head) / (cold.caughtUp / 1000))} events/s (load ${cold.loads})`,
);
for (const [label, r] of [
  ['restored node (1st)', restored1],
  ['restored node (2nd)', restored2],
] as const)
  console.log(
    `${label}, start -> first delivery: ${s(r.first)} s (restore ${s(r.restored)} s; first read after ${r.from}; caught up at ${count(r.head)} in ${s(r.caughtUp)} s, ${count(r.head) - count(snap.position)} events; load ${r.loads})`,
  );
const restoredMedian = (restored1.first + restored2.first) / 2;
console.log(
  `ratios: cold first delivery / warm delivery ${Math.round(cold.first / warmMedian)}x; cold / restored (mean of 2) ${(cold.first / restoredMedian).toFixed(1)}x`,
);
