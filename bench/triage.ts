// Triage + dispatch throughput: a multicast to N users (default 10,000) with mixed presence,
// devices and contact points, planned, claimed and delivered into a no-op channel, against
// the raw append rate of the same embedded store in the same run (64 concurrent appenders,
// one event per append). Only the steps due at once are timed (push to offline users, email
// to users with neither session nor device); later escalations wait for the clock.
//   npx tsc -p tsconfig.build.json && node dist/bench/triage.js [users]
// Up to 10,000 users it is a multicast (the listed audience's limit); above, a broadcast (every
// known user). Besides the wall clock it reports the process's CPU (all threads) per delivery
// during the timed part, which moves far less than the wall clock on a shared machine, and
// the largest RSS sampled meanwhile (memory must stay bounded as the audience grows), and that
// CPU thread by thread (/proc/self/task: `main`, the log's writer thread, V8's helper threads
// `node`, which run the concurrent and parallel garbage collection and the optimizing compiler),
// with the timed window in the monotonic microseconds of a `--cpu-prof` profile.
// MSGXC_EMBEDDED_WRITER=inline measures the store without its writer thread.
// BENCH_ALLOCATIONS=FILE: a sampling profile of the main thread's allocations during the timed
// part, collected ones included (what the garbage collector has to work through), written to FILE
// as a .heapprofile (Chrome DevTools' Memory tab opens it).
// BENCH_HEAP_SNAPSHOT=DIR: heap snapshots of the main thread (start.heapsnapshot when the timed
// part starts, mid.heapsnapshot at half the deliveries due, end.heapsnapshot when it is settled;
// V8 collects all garbage before it writes one, so they hold live objects only), summarised by
// `npx vite-node bench/heap-summary.ts DIR/start.heapsnapshot DIR/mid.heapsnapshot`. Under
// `node --expose-gc` the JS heap in use after a full collection is also printed at every tenth of
// the deliveries due: live state, told apart from garbage not yet collected (the sampled peak).
// BENCH_AUDIENCE=live: everyone online with no device and no contact point (the websocket
// delivers it all: the realtime fan-out's case, where planning should cost next to nothing).
// BENCH_MESSAGES=M: M messages to the same audience one after another (default 1), as a chat
// thread gets them; every figure per recipient is then per recipient of each message.
// BENCH_THREAD=1: the users are members of one thread and the messages go to it (the
// Centrifugo comparison's case) instead of a multicast.
// BENCH_STACK=production: the log on JetStream R3 (the current nats-server, three nodes on
// loopback, started from test/infra as the e2e-production tier starts it, or the cluster named
// by MSGXC_TEST_NATS_CURRENT_CLUSTER_URLS; bench/production-stack.ts), a stream of its own, and
// the raw append rate measured on that same stream. Delivery's state stays SQLite, as on every
// stack (app/engines.ts openDeliveryState); Cassandra and Elasticsearch hold read models and
// search, which triage and dispatch do not read, so they are not started here, unless
// BENCH_PROJECTIONS=1: then they are, and follow the log beside the reactors as on a production
// node (bench/triage-projections.ts); they catch up before the timed part, and the time they take
// to apply the broadcast after the reactors settled is printed:
//   npx tsc -p tsconfig.build.json && BENCH_STACK=production npx vite-node bench/triage.ts [users]
// BENCH_SPLIT=1 (embedded stack): the folds (triage's and dispatch's followers) on a worker thread
// of their own (bench/folds-part.ts), the sends (scheduler, dispatcher) on the main thread, as an
// embedded node with MSGXC_REACTORS_THREAD=split runs them (two threads, one reactors.db).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import type { Channel, Recipient } from '../ports/channel.js';
import { fixedClock } from '../adapters/clock/clock.js';
import type { EventStore } from '../ports/eventstore.js';
import { createSqliteEventStore } from '../adapters/eventstore/sqlite.js';
import { openJetStreamEventStore } from '../adapters/eventstore/jetstream.js';
import { startProductionStack } from './production-stack.js';
import { startProjections } from './triage-projections.js';
import { createIdGenerator } from '../adapters/ids/ids.js';
import { createCommands } from '../commands/index.js';
import { openSqliteDeliveryState } from '../adapters/delivery-state/sqlite.js';
import type { ChannelMap } from '../delivery/types.js';
import { startReactors } from '../delivery/runner.js';
import type { SqliteEventStore } from '../adapters/eventstore/sqlite.js';
import { startFoldsThread } from './folds-thread.js';
import { asMessageId, asThreadId, asUserId } from '../schema/ids.js';

const USERS = Number(process.argv[2] ?? 10_000);
const MESSAGES = Number(process.env['BENCH_MESSAGES'] ?? 1);
const THREAD = process.env['BENCH_THREAD'] === '1' ? asThreadId('bench-thread') : undefined;
const writerThread = process.env['MSGXC_EMBEDDED_WRITER'] !== 'inline';
const ids = createIdGenerator();

// Heap watch (BENCH_HEAP_SNAPSHOT, --expose-gc): the deliveries so far in all channels, and the
// points (tenths of the deliveries due) passed. A broadcast's due deliveries are a half of the
// audience by the population below (push to offline users with a device, email to the rest).
const SPLIT = process.env['BENCH_SPLIT'] === '1';
const snapshots = process.env['BENCH_HEAP_SNAPSHOT'];
if (snapshots !== undefined) mkdirSync(snapshots, { recursive: true });
const gc = (globalThis as { gc?: () => void }).gc;
const due = (USERS * MESSAGES) / (process.env['BENCH_AUDIENCE'] === 'live' ? 1 : 2);
let deliveredSoFar = 0;
let tenthsPassed = 0;
const liveHeap: string[] = [];
const snapshot = (name: string): void => {
  if (snapshots === undefined) return;
  const t = performance.now();
  writeHeapSnapshot(join(snapshots, `${name}.heapsnapshot`));
  console.log(`heap snapshot ${name}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
};
const watchHeap = (n: number): void => {
  deliveredSoFar += n;
  for (; tenthsPassed < 9 && deliveredSoFar >= ((tenthsPassed + 1) * due) / 10; tenthsPassed += 1) {
    if (gc !== undefined) {
      gc();
      liveHeap.push(`${String(deliveredSoFar)}: ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)}`);
    }
    if (tenthsPassed === 4) snapshot('mid');
  }
};

const noop = <R extends Recipient>(kind: R['channel']): Channel<R> & { delivered: number } => {
  const ch = {
    kind,
    provider: 'noop',
    delivered: 0,
    deliver: (batch: readonly unknown[]) => {
      ch.delivered += batch.length;
      if (snapshots !== undefined || gc !== undefined) watchHeap(batch.length);
      return Promise.resolve(batch.map(() => ({ kind: 'delivered' as const })));
    },
    close: () => Promise.resolve(),
  };
  return ch;
};

const meta = {
  eventId: 'bench',
  occurredAt: new Date().toISOString(),
  actor: { uid: 'bench', roles: [] },
  correlationId: 'c',
  causationId: 'c',
};
const rawAppendRate = async (store: EventStore, round: string, events: number): Promise<number> => {
  let next = 0;
  const started = performance.now();
  const appender = async (): Promise<void> => {
    for (let n = next++; n < events; n = next++) {
      const r = await store.append(
        `raw-${round}-${n}`,
        [{ type: 'BenchAppended', data: { n, pad: 'x'.repeat(200) }, metadata: meta }],
        'no_stream',
      );
      if (r.kind !== 'appended') throw new Error('unexpected conflict');
    }
  };
  await Promise.all(Array.from({ length: 64 }, appender));
  return events / ((performance.now() - started) / 1000);
};

const dir = mkdtempSync(join(tmpdir(), 'msgxc-bench-triage-'));

const withProjections = process.env['BENCH_PROJECTIONS'] === '1';
const stack =
  process.env['BENCH_STACK'] === 'production'
    ? await startProductionStack(withProjections ? ['nats', 'cassandra', 'elastic'] : ['nats'])
    : undefined;
if (stack !== undefined) console.log(`production stack: ${stack.started}`);
const store =
  stack === undefined
    ? createSqliteEventStore({ file: join(dir, 'events.db'), writerThread })
    : await openJetStreamEventStore({
        servers: stack.natsUrls,
        streamName: `BENCH_TRIAGE_${String(process.pid)}`,
        subjectPrefix: `benchtriage${String(process.pid)}`,
        replicas: 3,
      });
const storeName =
  stack === undefined
    ? `embedded SQLite, ${writerThread ? 'writer thread' : 'inline writer'}${SPLIT ? '; the folds on a thread of their own, the sends on the main thread (BENCH_SPLIT=1)' : ''}`
    : `JetStream R3 (nats-server ${process.env['MSGXC_TEST_NATS_CURRENT_CLUSTER_VERSION'] ?? '?'}, 3 nodes)${withProjections ? ' with the Cassandra read models and the Elasticsearch search projection following it' : ''}`;
const commands = createCommands({ store, ids });
const clock = fixedClock(new Date());
const projections =
  stack !== undefined && withProjections ? await startProjections(stack, store, join(dir, 'node'), clock) : undefined;
const ctx = (uid: string, admin = false) => ({
  actor: { uid, roles: admin ? ['admin'] : [] },
  now: clock.now(),
  correlationId: 'bench',
});

// Population: a quarter each with a browser, an Android and an iPhone, a quarter with no
// device; a third online; half with an email address.
const uids = Array.from({ length: USERS }, (_, i) => asUserId(`user-${String(i).padStart(7, '0')}`));
const liveOnly = process.env['BENCH_AUDIENCE'] === 'live';
const setup = async (i: number): Promise<void> => {
  const uid = uids[i] ?? asUserId('none');
  // Known to the broker (a broadcast reaches known users), as after a first login.
  await commands.recognize(ctx(uid));
  if (liveOnly) return;
  const kind = i % 4;
  if (kind === 0)
    await commands.enlist(ctx(uid), {
      endpoint: `https://fcm.googleapis.com/fcm/send/${uid}`,
      keys: { p256dh: 'BPk1', auth: 'aXV0aA' },
    });
  if (kind === 1) await commands.enlist(ctx(uid), { os: 'android', token: `fcm-${uid}` });
  if (kind === 2) await commands.enlist(ctx(uid), { os: 'ios', token: `apns-${uid}` });
  if (i % 2 === 0) await commands.changeProfile(ctx(uid), uid, { email: `${uid}@example.org` });
};
if (THREAD !== undefined) await commands.createThread(ctx('admin', true), { tid: THREAD, opens: true });
for (let i = 0; i < USERS; i += 256)
  await Promise.all(Array.from({ length: Math.min(256, USERS - i) }, (_, k) => setup(i + k)));
// One after another: subscriptions append to the thread's stream, so concurrent ones conflict.
if (THREAD !== undefined)
  for (const uid of uids)
    if ((await commands.subscribe(ctx(uid), THREAD))._tag === 'Left') throw new Error(`${uid} could not subscribe`);
const online = new Set(uids.filter((_, i) => liveOnly || i % 3 === 0));

const rawBefore = await rawAppendRate(store, 'before', 20_000);

const channels = {
  webpush: noop('webpush'),
  fcm: noop('fcm'),
  apns: noop('apns'),
  email: noop('email'),
  sms: noop('sms'),
};
const state = openSqliteDeliveryState(join(dir, 'reactors.db'));
if (SPLIT && stack !== undefined) throw new Error('BENCH_SPLIT=1 is for the embedded stack');
const foldsPart = SPLIT
  ? await startFoldsThread(store as SqliteEventStore, {
      eventsFile: join(dir, 'events.db'),
      reactorsFile: join(dir, 'reactors.db'),
      now: clock.now().toISOString(),
      users: USERS,
      liveOnly,
    })
  : undefined;
const reactors = startReactors({
  ...(foldsPart === undefined ? {} : foldsPart.options),
  store,
  state,
  revokeDevice: commands.revokeDevice,
  clock,
  channels: channels as ChannelMap,
  pollMs: 60_000,
  presence: { isOnline: (uid) => online.has(asUserId(uid)), sessions: (uid) => (online.has(asUserId(uid)) ? 1 : 0) },
  // BENCH_REACTOR_LOG=1: the reactors' warnings and errors on stderr (a run that stops short).
  ...(process.env['BENCH_REACTOR_LOG'] === '1'
    ? {
        log: {
          info: () => undefined,
          warn: (obj: object, msg: string) => {
            console.error('reactors warn', msg, JSON.stringify(obj).slice(0, 500));
          },
          error: (obj: object, msg: string) => {
            console.error('reactors error', msg, JSON.stringify(obj).slice(0, 500));
          },
        },
      }
    : {}),
});
if (foldsPart !== undefined)
  foldsPart.wakes.to = (earliest) => {
    reactors.wake(earliest);
  };
await reactors.settle(3_600_000); // the directory catches up with the population (not timed)

// CPU seconds per thread of this process (utime + stime from /proc, 100 Hz ticks), by thread id:
// the writer thread and any worker are told apart from the main thread (the process's own id).
const threadCpu = (): Map<string, number> => {
  const out = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = (stat.split(') ')[1] ?? '').split(' ');
      const name = `${tid === String(process.pid) ? 'main' : (/\((.*)\)/.exec(stat)?.[1] ?? '')}#${tid}`;
      out.set(name, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // a thread that ended between the listing and the read
    }
  }
  return out;
};

const projectedBefore = performance.now();
await projections?.waitFor(await store.head());
if (projections !== undefined)
  console.log(
    `projections caught up with the setup ${((performance.now() - projectedBefore) / 1000).toFixed(1)} s after the reactors`,
  );
gc?.();
const liveBefore = process.memoryUsage().heapUsed;
snapshot('start');
const headBefore = await store.head();
const threadsBefore = threadCpu();
const rssBefore = process.memoryUsage().rss;
let rssPeak = rssBefore;
// The JS heap's share of it (what the process holds in objects; the rest is SQLite's caches,
// code and the allocator's free pages).
const heapBefore = process.memoryUsage().heapUsed;
let heapPeak = heapBefore;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  rssPeak = Math.max(rssPeak, m.rss);
  heapPeak = Math.max(heapPeak, m.heapUsed);
}, 100);
const allocations = process.env['BENCH_ALLOCATIONS'];
const inspector = allocations === undefined ? undefined : new Session();
inspector?.connect();
await inspector?.post('HeapProfiler.startSampling', {
  samplingInterval: 32_768,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
const cpuBefore = process.cpuUsage();
const started = performance.now();
// Monotonic microseconds, the clock of a --cpu-prof profile's timestamps: the timed window.
const window = [process.hrtime.bigint() / 1000n];
const content = { msg: 'benchmark', opts: {} };
// With BENCH_REACTOR_LOG=1, every 30 s: the log's head and the deliveries so far (where a run stops).
const progress =
  process.env['BENCH_REACTOR_LOG'] === '1'
    ? setInterval(() => {
        void store.head().then((head) => {
          const sent = Object.values(channels).reduce((n, c) => n + c.delivered, 0);
          console.error(`progress: head ${String(head)} (+${String(head - headBefore)}), delivered ${String(sent)}`);
        });
      }, 30_000)
    : undefined;
for (let m = 0; m < MESSAGES; m += 1) {
  if (THREAD !== undefined) await commands.publish(ctx('admin', true), asMessageId(ids.messageId()), THREAD, content);
  else if (USERS <= 10_000) await commands.multicast(ctx('admin', true), asMessageId(ids.messageId()), uids, content);
  else await commands.broadcast(ctx('admin', true), asMessageId(ids.messageId()), content);
  await reactors.settle(3_600_000);
}
clearInterval(progress);
const seconds = (performance.now() - started) / 1000;
window.push(process.hrtime.bigint() / 1000n);
const cpu = process.cpuUsage(cpuBefore);
const threadsAfter = threadCpu();
gc?.();
const liveAfter = process.memoryUsage().heapUsed;
snapshot('end');
if (inspector !== undefined && allocations !== undefined) {
  const { profile } = await inspector.post('HeapProfiler.stopSampling');
  writeFileSync(allocations, JSON.stringify(profile));
  inspector.disconnect();
}
clearInterval(sampler);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const written = (await store.readAll({ after: headBefore, limit: 10_000_000 })).length;
const projectedAfter = performance.now();
await projections?.waitFor(await store.head());
const projectionsLag = (performance.now() - projectedAfter) / 1000;
await projections?.close();
const delivered = Object.values(channels).reduce((n, c) => n + c.delivered, 0);
await reactors.stop();
await foldsPart?.stop();
await state.close();

const rawAfter = await rawAppendRate(store, 'after', 20_000);
await store.close();
await stack?.stop();
rmSync(dir, { recursive: true, force: true });

const raw = (rawBefore + rawAfter) / 2;
const eventsPerS = written / seconds;
const RECIPIENTS = USERS * MESSAGES;
const round = (n: number): string => n.toFixed(0);
console.log(
  `store: ${storeName}; ${USERS} recipients x ${MESSAGES} message(s)${liveOnly ? ', all online, websocket only' : ''}`,
);
console.log(`raw append: ${round(rawBefore)} / ${round(rawAfter)} events/s (before / after), mean ${round(raw)}`);
console.log(
  `triage + dispatch: ${seconds.toFixed(2)} s; ${round(RECIPIENTS / seconds)} recipients/s; ${delivered} deliveries (${round(delivered / seconds)}/s); ${written} events written (${round(eventsPerS)}/s)`,
);
console.log(
  `CPU (all threads): ${cpuSeconds.toFixed(2)} s = ${round((cpuSeconds * 1e6) / delivered)} us per delivery, ${round((cpuSeconds * 1e6) / RECIPIENTS)} us per recipient; RSS ${round(rssBefore / 2 ** 20)} MiB before, peak ${round(rssPeak / 2 ** 20)} MiB; JS heap used ${round(heapBefore / 2 ** 20)} MiB before, peak ${round(heapPeak / 2 ** 20)} MiB`,
);
console.log(
  `CPU per thread in the timed part (s): ${[...threadsAfter]
    .map(([k, v]) => [k, v - (threadsBefore.get(k) ?? 0)] as const)
    .filter(([, v]) => v >= 0.05)
    .sort((x, y) => y[1] - x[1])
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(', ')}; window ${window.join('-')} us; load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
if (gc !== undefined)
  console.log(
    `JS heap in use after a full collection (MiB): ${round(liveBefore / 2 ** 20)} before; by deliveries so far ${liveHeap.join(', ')}; ${round(liveAfter / 2 ** 20)} at the end`,
  );
if (projections !== undefined)
  console.log(
    `Cassandra read models and Elasticsearch search projection in this process: done with the broadcast ${projectionsLag.toFixed(1)} s after the reactors settled`,
  );
console.log(
  `ratio: reactor events/s to raw appends/s = ${(eventsPerS / raw).toFixed(2)}; recipients/s to raw appends/s = ${(RECIPIENTS / seconds / raw).toFixed(2)}; deliveries/s to raw appends/s = ${(delivered / seconds / raw).toFixed(2)}`,
);
console.log(
  `| triage + dispatch, ${USERS} recipients x ${MESSAGES} (${delivered} due at once), no-op channels | ${round(RECIPIENTS / seconds)} recipients/s, ${round(delivered / seconds)} deliveries/s | ${round(eventsPerS)} events/s = ${(eventsPerS / raw).toFixed(2)} x raw append (${round(raw)}/s) |`,
);
