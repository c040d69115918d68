// A new reactors node's time to first delivery on a long log (issue 15, "Reactor processes").
//   npx tsc -p tsconfig.build.json && node dist/bench/reactor-cold-start.js [events=1000000]
// Builds a log of `events` events on the embedded stack (bench/reactor-log.ts: users, devices,
// addresses, threads, subscriptions, messages, receipts) while an "old node"'s reactors run
// beside it, so the log also holds their triage and dispatch events; then:
//   warm: the old node, caught up, gets a new urgent message to an offline user with a phone:
//         append -> the channel's deliver() (median of 3);
//   cold: the old node stops; a new node starts with an empty reactors.db and the same kind of
//         message is appended at once: start -> deliver(), i.e. the whole log replayed first.
// The embedded log belongs to one process (its writer and followers), so the new node runs in
// this process with a fresh state file: the same followers and state engine as
// `MSGXC_ROLE=reactors` (app/delivery.ts), on the log as stored (no sealing layer).
// BENCH_DIR=path keeps the log (and the old node's reactors.db) there and reuses it when it is
// already there with at least `events` events. Prints wall times and the cold/warm ratio.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteDeliveryState } from '../adapters/delivery-state/sqlite.js';
import { createSqliteEventStore } from '../adapters/eventstore/sqlite.js';
import { startReactors, type Reactors } from '../delivery/runner.js';
import type { ChannelMap } from '../delivery/types.js';
import type { Channel, Delivery, Recipient } from '../ports/channel.js';
import type { DeliveryStateStore } from '../ports/delivery-state.js';
import type { EventStore } from '../ports/eventstore.js';
import { createMemoryEventStore } from '../adapters/eventstore/memory.js';
import { appendOne, benchClock, hasEmail, hasPhone, reactorLog, T0, uidOf } from './reactor-log.js';

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
    const t = setTimeout(() => reject(new Error(`${mid} not delivered within ${timeoutMs} ms`)), timeoutMs);
    const done = (): void => {
      clearTimeout(t);
      waiters.delete(mid);
      resolve(delivered.get(mid) ?? performance.now());
    };
    if (delivered.has(mid)) done();
    else waiters.set(mid, done);
  });

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

// Copies the log in order into the SQLite file (the inline writer's queue keeps the order of
// the appends, so every event keeps its position: checked).
const copyLog = async (from: EventStore, file: string): Promise<void> => {
  const to = createSqliteEventStore({ file, writerThread: false });
  for (let after = 0; ; ) {
    const page = await from.readAll({ after, limit: 5_000 });
    if (page.length === 0) break;
    const results = await Promise.all(
      page.map((e) => to.append(e.stream, [{ type: e.type, data: e.data, metadata: e.metadata }], 'any')),
    );
    results.forEach((r, i) => {
      if (r.kind !== 'appended' || r.position !== page[i]?.position)
        throw new Error(`copy out of order at ${page[i]?.position}`);
    });
    after = page[page.length - 1]?.position ?? after;
  }
  await to.close();
};

const oldFile = join(dir, 'reactors-old.db');
const eventsFile = join(dir, 'events.db');
const reused = existsSync(metaFile) && (JSON.parse(readFileSync(metaFile, 'utf8')) as { head: number }).head >= EVENTS;
if (reused) clock.set((JSON.parse(readFileSync(metaFile, 'utf8')) as { clock: number }).clock);
else {
  // Built in memory (the old node's appends wait for no fsync), then written to the file.
  for (const f of [eventsFile, oldFile]) for (const x of ['', '-wal', '-shm']) rmSync(f + x, { force: true });
  const built = performance.now();
  const mem = createMemoryEventStore();
  const oldState = openSqliteDeliveryState(oldFile);
  const old = node(mem, oldState, 'old');
  const log = reactorLog(mem, clock, { users: USERS, threads: THREADS, perUser: 3 });
  await log.setup();
  let shown = 0;
  while ((await mem.head()) < EVENTS) {
    await log.traffic(2048);
    await old.waitFor(await mem.head(), 3_600_000);
    const head = await mem.head();
    if (head - shown >= 100_000) {
      shown = head;
      console.log(
        `  built ${head} events, ${log.published.length} messages (${((performance.now() - built) / 1000).toFixed(0)} s)`,
      );
    }
  }
  await old.settle(3_600_000);
  await old.stop();
  await oldState.close();
  await copyLog(mem, eventsFile);
  writeFileSync(metaFile, JSON.stringify({ clock: clock.ms(), head: await mem.head() }));
  console.log(`  built and written in ${((performance.now() - built) / 1000).toFixed(0)} s`);
}
const store = createSqliteEventStore({ file: eventsFile, writerThread: true });
const head = await store.head();
console.log(`log: ${head} events (${USERS} users, ${THREADS} threads)${reused ? ', reused' : ''}`);

// Warm: the running node's append -> delivery.
const oldState = openSqliteDeliveryState(oldFile);
const old = node(store, oldState, 'old');
await old.settle(600_000);
const warm: number[] = [];
for (let i = 0; i < 3; i += 1) {
  const t = performance.now();
  const mid = await sendUrgent(store);
  warm.push((await deliveredAt(mid, 60_000)) - t);
}
warm.sort((a, b) => a - b);
await old.settle(60_000);
await old.stop();
await oldState.close();

// Cold: a new node with an empty reactors.db.
const coldFile = join(dir, 'reactors-cold.db');
for (const f of [coldFile, `${coldFile}-wal`, `${coldFile}-shm`]) rmSync(f, { force: true });
const startAt = performance.now();
const coldState = openSqliteDeliveryState(coldFile);
const cold = node(store, coldState, 'cold');
const mid = await sendUrgent(store);
const firstDelivery = (await deliveredAt(mid, 3_600_000)) - startAt;
const replayed = await store.head();
await cold.waitFor(replayed, 3_600_000);
const caughtUp = performance.now() - startAt;
await cold.stop();
await coldState.close();
await store.close();
if (keep === undefined) rmSync(dir, { recursive: true, force: true });

const s = (ms: number): string => (ms / 1000).toFixed(2);
const warmMedian = warm[1] ?? 0;
console.log(
  `warm node, append -> delivery: ${warm.map((w) => w.toFixed(1)).join(' / ')} ms (median ${warmMedian.toFixed(1)})`,
);
console.log(
  `cold node (empty reactors.db), start -> first delivery: ${s(firstDelivery)} s; caught up with ${replayed} events in ${s(caughtUp)} s = ${Math.round(replayed / (caughtUp / 1000))} events/s`,
);
console.log(`ratio cold first delivery / warm delivery: ${Math.round(firstDelivery / warmMedian)}x`);
