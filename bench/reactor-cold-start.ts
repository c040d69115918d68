// A new reactors node's time to first delivery on a long log (issue 15, "Reactor processes"):
// replaying the whole log into an empty reactors.db against restoring the stored snapshot of
// delivery's state (app/reactors-snapshots.ts) and replaying only the tail after it.
//   npx tsc -p tsconfig.build.json && node --max-old-space-size=8192 dist/bench/reactor-cold-start.js [events=1000000]
// Builds a log of `events` events (bench/reactor-log.ts: users, devices, addresses, threads,
// subscriptions, messages, receipts) with an "old node"'s reactors running beside the
// generator, so the log also holds their triage and dispatch events as a deployment's log does
// (built with the embedded SQLite store and its writer thread in a scratch folder on tmpfs,
// /dev/shm or BENCH_SCRATCH, where the fsyncs cost nothing, then copied into BENCH_DIR; until
// 2026-12-06 it was built in the in-memory store, still there as BENCH_BUILD=memory, whose heap
// grew by about 8 KB an event, 1.6 GiB at 235k events, with the collector's time: a 1M log would
// not fit in 8 GiB). What sets the build's pace is the old node's reactors planning, claiming and
// sending every message as it is appended, about 0.5-0.6 CPU-ms an event on either store (printed every
// BENCH_PROGRESS events with the rate, heap and load); BENCH_BUILD_SECONDS stops a build that has
// not reached `events` in time and measures the log it has. Then:
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
// BENCH_DIR=path keeps the log there and reuses it when it holds at least `events` events.
// BENCH_USERS (default 20,000; a thread per 20 users, 3 threads per user).
// BENCH_STACK=production: the log on JetStream R3 (the current nats-server, three nodes, started
// from test/infra as the e2e-production tier starts it, or MSGXC_TEST_NATS_CURRENT_CLUSTER_URLS;
// bench/production-stack.ts): the built log (events.db, kept or reused as above) is copied in
// order into a stream of its own, the nodes follow that stream, and the snapshots go to an
// object store on the same cluster (R3), as on a production node. Delivery's state stays SQLite
// (as on every stack); the old node works on a copy of its state file, so BENCH_DIR stays reusable.
//   npx tsc -p tsconfig.build.json && BENCH_STACK=production npx vite-node bench/reactor-cold-start.ts [events]
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteDeliveryState } from '../adapters/delivery-state/sqlite.js';
import { createSqliteEventStore } from '../adapters/eventstore/sqlite.js';
import { startReactors, type Reactors } from '../delivery/runner.js';
import type { ChannelMap } from '../delivery/types.js';
import type { Channel, Delivery, Recipient } from '../ports/channel.js';
import type { DeliveryStateStore } from '../ports/delivery-state.js';
import type { EventStore } from '../ports/eventstore.js';
import { spawn } from 'node:child_process';
import { createMemoryEventStore } from '../adapters/eventstore/memory.js';
import { openJetStreamSnapshots } from '../adapters/state-snapshot/jetstream-object.js';
import { restoreDeliveryState, startStateSnapshots } from '../app/reactors-snapshots.js';
import { DISPATCH_REACTOR } from '../delivery/runner.js';
import { TRIAGE_REACTOR } from '../delivery/triage.js';
import type { Logger } from '../ports/log.js';
import { openJetStreamEventStore } from '../adapters/eventstore/jetstream.js';
import { splitPosition } from '../adapters/eventstore/jetstream-subjects.js';
import { startProductionStack } from './production-stack.js';
import { appendOne, benchClock, hasEmail, hasPhone, reactorLog, T0, uidOf } from './reactor-log.js';
import { watchedReads } from '../test/integration/fixtures/watched-log.js';

const EVENTS = Number(process.argv[2] ?? 1_000_000);
const USERS = Number(process.env['BENCH_USERS'] ?? 20_000);
const THREADS = Math.max(1, Math.floor(USERS / 20));
const keep = process.env['BENCH_DIR'];
const dir = keep ?? mkdtempSync(join(tmpdir(), 'msgxc-bench-coldstart-'));
mkdirSync(dir, { recursive: true });
const metaFile = join(dir, 'bench.json');

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
// A build that has not reached `events` after BENCH_BUILD_SECONDS stops there and is measured as it is.
const BUILD_SECONDS = Number(process.env['BENCH_BUILD_SECONDS'] ?? Number.POSITIVE_INFINITY);
const PROGRESS = Number(process.env['BENCH_PROGRESS'] ?? 100_000);
const TAIL = Number(process.env['BENCH_TAIL'] ?? 2_048);

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

const online = (uid: string): boolean => Number(uid.slice(1)) % 3 === 0;
const clock = benchClock(T0);
const node = (store: EventStore, state: DeliveryStateStore, name: string): Reactors =>
  startReactors({
    store,
    state,
    presence: { isOnline: online, sessions: (uid) => (online(uid) ? 1 : 0) },
    channels,
    revokeDevice: () => Promise.reject(new Error('no revocation in this benchmark')),
    clock,
    pollMs: 50,
    node: name,
  });

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
  const m = reactorLog(s, clock, { users: USERS, threads: THREADS, perUser: 3 }).message(
    { kind: 'user', uid: target() },
    4,
  );
  await appendOne(s, m);
  return (m.data as { mid: string }).mid;
};

// Copies the log in order. The SQLite inline writer's queue keeps the order of concurrent
// appends, so every event keeps its position (checked); JetStream's does not (an append to a
// stream not seen yet first looks up its tip), so there the appends go one at a time, and its
// positions are its own (message sequence x slots, adapters/eventstore/jetstream-subjects.ts):
// checked to grow, in the same order.
const copyLog = async (from: EventStore, to: EventStore, oneByOne: boolean): Promise<void> => {
  let last = 0;
  const copy = (e: Awaited<ReturnType<EventStore['readAll']>>[number]) =>
    to.append(e.stream, [{ type: e.type, data: e.data, metadata: e.metadata }], 'any');
  for (let after = 0; ; ) {
    const page = await from.readAll({ after, limit: 5_000 });
    if (page.length === 0) break;
    const results = [];
    if (oneByOne) for (const e of page) results.push(await copy(e));
    else results.push(...(await Promise.all(page.map(copy))));
    results.forEach((r, i) => {
      if (r.kind !== 'appended' || (oneByOne ? r.position <= last : r.position !== page[i]?.position))
        throw new Error(`copy out of order at ${page[i]?.position}`);
      last = r.position;
    });
    after = page[page.length - 1]?.position ?? after;
  }
};
const copyToFile = async (from: EventStore, file: string): Promise<void> => {
  const to = createSqliteEventStore({ file, writerThread: false });
  await copyLog(from, to, false);
  await to.close();
};

const oldFile = join(dir, 'reactors-old.db');
const eventsFile = join(dir, 'events.db');
const reused = existsSync(metaFile) && (JSON.parse(readFileSync(metaFile, 'utf8')) as { head: number }).head >= EVENTS;
if (reused) clock.set((JSON.parse(readFileSync(metaFile, 'utf8')) as { clock: number }).clock);
else {
  for (const f of [eventsFile, oldFile]) for (const x of ['', '-wal', '-shm']) rmSync(f + x, { force: true });
  const built = performance.now();
  // The log and the old node's state are built in a scratch folder on tmpfs (where an fsync
  // costs nothing), with the embedded SQLite store and its writer thread, then moved here; or,
  // BENCH_BUILD=memory, as before: in the in-memory store, then copied to the file (its heap
  // grew about 8 KB a event, and the collector's time with it: the rate fell from 900 events/s at
  // 150k to under 300 at 400k).
  const inMemory = process.env['BENCH_BUILD'] === 'memory';
  const scratch = inMemory
    ? undefined
    : mkdtempSync(
        join(process.env['BENCH_SCRATCH'] ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir()), 'msgxc-coldstart-'),
      );
  // tmpfs is memory: a build stopped half-way does not leave its files there.
  const dropScratch = (): void => {
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  };
  const stopped = (): void => {
    dropScratch();
    process.exit(130);
  };
  process.once('SIGINT', stopped).once('SIGTERM', stopped);
  const builtFile = scratch === undefined ? eventsFile : join(scratch, 'events.db');
  const builtOld = scratch === undefined ? oldFile : join(scratch, 'reactors-old.db');
  const log_: EventStore = inMemory
    ? createMemoryEventStore()
    : createSqliteEventStore({ file: builtFile, writerThread: true });
  const oldState = openSqliteDeliveryState(builtOld);
  const old = node(log_, oldState, 'old');
  const log = reactorLog(log_, clock, { users: USERS, threads: THREADS, perUser: 3 });
  await log.setup();
  let shown = 0;
  let shownAt = built;
  let shownCpu = process.cpuUsage();
  while ((await log_.head()) < EVENTS && performance.now() - built < BUILD_SECONDS * 1000) {
    await log.traffic(2048);
    await old.waitFor(await log_.head(), 3_600_000);
    const head = await log_.head();
    if (head - shown >= PROGRESS) {
      const now = performance.now();
      const cpu = process.cpuUsage();
      const cpuMs = (cpu.user + cpu.system - shownCpu.user - shownCpu.system) / 1000;
      console.log(
        `  built ${head} events, ${log.published.length} messages (${((now - built) / 1000).toFixed(0)} s, ${Math.round((head - shown) / ((now - shownAt) / 1000))} events/s, ${(cpuMs / (head - shown)).toFixed(2)} CPU-ms/event, heap ${Math.round(process.memoryUsage().heapUsed / 2 ** 20)} MiB, load ${loadavg()[0]?.toFixed(1) ?? '?'})`,
      );
      shown = head;
      shownAt = now;
      shownCpu = cpu;
    }
  }
  await old.settle(3_600_000);
  await old.stop();
  await oldState.close();
  const head = await log_.head();
  if (inMemory) await copyToFile(log_, eventsFile);
  await log_.close();
  // Closed, so each file is whole (the last connection folded its write-ahead log back in).
  if (scratch !== undefined)
    for (const [from, to] of [
      [builtFile, eventsFile],
      [builtOld, oldFile],
    ] as const)
      for (const x of ['', '-wal', '-shm']) if (existsSync(from + x)) copyFileSync(from + x, to + x);
  dropScratch();
  process.off('SIGINT', stopped).off('SIGTERM', stopped);
  writeFileSync(metaFile, JSON.stringify({ clock: clock.ms(), head }));
  console.log(
    `  built and written in ${((performance.now() - built) / 1000).toFixed(0)} s${head < EVENTS ? ` (stopped by BENCH_BUILD_SECONDS at ${head} of ${EVENTS} events)` : ''}`,
  );
  if (process.env['BENCH_BUILD_ONLY'] === '1') process.exit(0);
}
const stack = process.env['BENCH_STACK'] === 'production' ? await startProductionStack(['nats']) : undefined;
const file = createSqliteEventStore({ file: eventsFile, writerThread: true });
let store: EventStore = file;
let oldStateFile = oldFile;
if (stack !== undefined) {
  console.log(`production stack: ${stack.started}`);
  store = await openJetStreamEventStore({
    servers: stack.natsUrls,
    streamName: `BENCH_COLD_${String(process.pid)}`,
    subjectPrefix: `benchcold${String(process.pid)}`,
    replicas: 3,
  });
  const copying = performance.now();
  await copyLog(file, store, true);
  await file.close();
  console.log(`  copied to JetStream R3 in ${((performance.now() - copying) / 1000).toFixed(0)} s`);
  // The old node's state names positions of the built log, which JetStream numbers its own way:
  // it replays the copy from the start instead (not timed).
  oldStateFile = join(dir, 'reactors-old-jetstream.db');
  for (const x of ['', '-wal', '-shm']) rmSync(oldStateFile + x, { force: true });
}
// JetStream's positions are message sequence x 1,024 (jetstream-subjects.ts): printed as sequences,
// which count the log's messages (an append of several events is one message).
const count = (position: number): number => (stack === undefined ? position : splitPosition(position).seq);
const head = await store.head();
console.log(
  `log: ${count(head)} ${stack === undefined ? 'events' : 'messages'} (${USERS} users, ${THREADS} threads)${reused ? ', reused' : ''}`,
);

// Warm: the running node's append -> delivery.
const oldState = openSqliteDeliveryState(oldStateFile);
const old = node(store, oldState, 'old');
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
await reactorLog(store, clock, { users: USERS, threads: THREADS, perUser: 3 }).traffic(TAIL);
await old.waitFor(await store.head(), 3_600_000);
await old.settle(600_000);
await old.stop();
await oldState.close();
const tail = count(await store.head()) - count(snap.position);

// A new node: an empty reactors.db (replay), or the snapshot restored into it. The clock of a
// start includes the restore; an urgent message is appended at once; the first read position
// of its followers is noted.
const newNode = async (name: string, restore: boolean) => {
  const file = join(dir, `reactors-${name}.db`);
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
  const reads: number[] = [];
  const watchedStore = watchedReads(store, reads);
  const startAt = performance.now();
  if (restore) await restoreDeliveryState(file, snapshots, silentLogger);
  const restored = performance.now() - startAt;
  const state = openSqliteDeliveryState(file);
  const reactors = node(watchedStore, state, name);
  const mid = await sendUrgent(store);
  const first = (await deliveredAt(mid, 3_600_000)) - startAt;
  const head = await store.head();
  await reactors.waitFor(head, 3_600_000);
  const caughtUp = performance.now() - startAt;
  await reactors.settle(600_000);
  await reactors.stop();
  await state.close();
  return { first, caughtUp, restored, from: Math.min(...reads), head };
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
  `snapshot: VACUUM INTO + put into the JetStream object store (nats-server ${nats.version}): ${s(snapMs)} s, ${mib(snap.bytes)} MiB at position ${snap.position}; tail after it: ${tail} events`,
);
console.log(
  `cold node (empty reactors.db), start -> first delivery: ${s(cold.first)} s (first read after ${cold.from}); caught up with ${count(cold.head)} events in ${s(cold.caughtUp)} s = ${Math.round(count(cold.head) / (cold.caughtUp / 1000))} events/s`,
);
for (const [label, r] of [
  ['restored node (1st)', restored1],
  ['restored node (2nd)', restored2],
] as const)
  console.log(
    `${label}, start -> first delivery: ${s(r.first)} s (restore ${s(r.restored)} s; first read after ${r.from}; caught up at ${count(r.head)} in ${s(r.caughtUp)} s)`,
  );
const restoredMedian = (restored1.first + restored2.first) / 2;
console.log(
  `ratios: cold first delivery / warm delivery ${Math.round(cold.first / warmMedian)}x; cold / restored (mean of 2) ${(cold.first / restoredMedian).toFixed(1)}x`,
);
