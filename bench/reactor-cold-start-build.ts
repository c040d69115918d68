// The log of the reactor cold-start benchmark (bench/reactor-cold-start.ts measures on it): built,
// or reused from BENCH_DIR. Split from the measurement on 2026-12-06 because the build is the long
// part (tens of minutes at 1M events on this machine) and is run once, its folder then reused by
// measurement runs; each half now reads on its own.
// The log (bench/reactor-log.ts: users, devices, addresses, threads, subscriptions, messages,
// receipts) is built with an "old node"'s reactors running beside the generator, so it also holds
// their triage and dispatch events as a deployment's log does. It is built with the embedded
// SQLite store and its writer thread in a scratch folder on tmpfs (/dev/shm or BENCH_SCRATCH),
// where the fsyncs cost nothing, then copied into BENCH_DIR; until 2026-12-06 it was built in the
// in-memory store, still there as BENCH_BUILD=memory, whose heap grew by about 8 KB an event (1.6
// GiB at 235k events, with the collector's time: a 1M log would not fit in 8 GiB). What sets the
// build's pace is the old node's reactors planning, claiming and sending every message as it is
// appended, about 0.5-0.6 CPU-ms an event on either store (printed every BENCH_PROGRESS events
// with the rate, heap and load). BENCH_BUILD_SECONDS stops a build that has not reached `events`
// in time (the log it has is then measured); BENCH_BUILD_ONLY=1 exits once it is written.
// BENCH_STACK=production: the built log is then copied into JetStream R3 (openLog below).
// BENCH_DIR=path keeps the log there and reuses it when it holds at least `events` events.
// BENCH_USERS (default 20,000; a thread per 20 users, 3 threads per user).
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteDeliveryState } from '../adapters/delivery-state/sqlite.js';
import { openJetStreamEventStore } from '../adapters/eventstore/jetstream.js';
import { splitPosition } from '../adapters/eventstore/jetstream-subjects.js';
import { createMemoryEventStore } from '../adapters/eventstore/memory.js';
import { createSqliteEventStore } from '../adapters/eventstore/sqlite.js';
import { startReactors, type Reactors } from '../delivery/runner.js';
import type { ChannelMap } from '../delivery/types.js';
import type { DeliveryStateStore } from '../ports/delivery-state.js';
import type { EventStore } from '../ports/eventstore.js';
import { startProductionStack, type ProductionStack } from './production-stack.js';
import { benchClock, reactorLog, T0 } from './reactor-log.js';

const EVENTS = Number(process.argv[2] ?? 1_000_000);
export const USERS = Number(process.env['BENCH_USERS'] ?? 20_000);
export const THREADS = Math.max(1, Math.floor(USERS / 20));
export const keep = process.env['BENCH_DIR'];
export const dir = keep ?? mkdtempSync(join(tmpdir(), 'msgxc-bench-coldstart-'));
mkdirSync(dir, { recursive: true });
const metaFile = join(dir, 'bench.json');
const eventsFile = join(dir, 'events.db');
const oldFile = join(dir, 'reactors-old.db');
const BUILD_SECONDS = Number(process.env['BENCH_BUILD_SECONDS'] ?? Number.POSITIVE_INFINITY);
const PROGRESS = Number(process.env['BENCH_PROGRESS'] ?? 100_000);

export const clock = benchClock(T0);
export const logOptions = { users: USERS, threads: THREADS, perUser: 3 };
export const online = (uid: string): boolean => Number(uid.slice(1)) % 3 === 0;
/** A node's reactors as `MSGXC_ROLE=reactors` runs them (app/delivery.ts), on the given channels. */
export const node = (store: EventStore, state: DeliveryStateStore, name: string, channels: ChannelMap): Reactors =>
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

/** Builds the log into BENCH_DIR, or reuses the one there; true when reused. */
export const ensureLog = async (channels: ChannelMap): Promise<boolean> => {
  if (existsSync(metaFile)) {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as { head: number; clock: number };
    if (meta.head >= EVENTS) {
      clock.set(meta.clock);
      return true;
    }
  }
  for (const f of [eventsFile, oldFile]) for (const x of ['', '-wal', '-shm']) rmSync(f + x, { force: true });
  const built = performance.now();
  // In a scratch folder on tmpfs, then moved here; or, BENCH_BUILD=memory, in the in-memory
  // store, then copied to the file (its heap grew about 8 KB an event, and the collector's time
  // with it: the rate fell from 900 events/s at 150k to under 300 at 400k).
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
  const old = node(log_, oldState, 'old', channels);
  const log = reactorLog(log_, clock, logOptions);
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
  if (inMemory) {
    const to = createSqliteEventStore({ file: eventsFile, writerThread: false });
    await copyLog(log_, to, false);
    await to.close();
  }
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
  return false;
};

/**
 * The built log as the measurement reads it: the embedded file, or (BENCH_STACK=production) a
 * copy of it in a JetStream R3 stream of its own, with the old node's state file to use.
 */
export const openLog = async (): Promise<{
  store: EventStore;
  stack: ProductionStack | undefined;
  oldStateFile: string;
  count: (position: number) => number;
}> => {
  const stack = process.env['BENCH_STACK'] === 'production' ? await startProductionStack(['nats']) : undefined;
  const file = createSqliteEventStore({ file: eventsFile, writerThread: true });
  // JetStream's positions are message sequence x 1,024 (jetstream-subjects.ts): counted as
  // sequences, which count the log's messages (an append of several events is one message).
  if (stack === undefined) return { store: file, stack, oldStateFile: oldFile, count: (p) => p };
  console.log(`production stack: ${stack.started}`);
  const store = await openJetStreamEventStore({
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
  const oldStateFile = join(dir, 'reactors-old-jetstream.db');
  for (const x of ['', '-wal', '-shm']) rmSync(oldStateFile + x, { force: true });
  return { store, stack, oldStateFile, count: (p) => splitPosition(p).seq };
};
