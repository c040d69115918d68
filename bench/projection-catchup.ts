// Catch-up throughput of the embedded read models, then inbox query latency at 100k messages.
// Run: npx vite-node bench/projection-catchup.ts [events=100000]   (or build and run dist/bench/projection-catchup.js)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryEventStore } from '../adapters/eventstore/memory.js';
import type { EventStore } from '../ports/eventstore.js';
import { createIdGenerator } from '../adapters/ids/ids.js';
import { openEmbeddedReadStore } from '../app/read-stores.js';
import { streams } from '../schema/events.js';
import { asThreadId, asUserId } from '../schema/ids.js';
import type { Audience } from '../schema/message.js';

const N = Number(process.argv[2] ?? 100_000);
const TARGET_MESSAGES = 100_000;
const USERS = 2_000;
const THREADS = 50;
const T0 = Date.parse('2025-01-01T00:00:00.000Z');

let seed = 42;
const rand = (): number => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};
const pick = (n: number): number => Math.floor(rand() * n);

let clock = T0;
const ids = createIdGenerator(() => clock);
const meta = {
  eventId: 'e',
  occurredAt: new Date(T0).toISOString(),
  actor: { uid: 'bench', roles: [] },
  correlationId: 'c',
  causationId: 'c',
};
const append = async (store: EventStore, stream: string, type: string, data: unknown): Promise<void> => {
  await store.append(stream, [{ type, data, metadata: meta }], 'any');
};

const published: string[] = [];
let messages = 0;
const publish = async (store: EventStore, audience: Audience): Promise<void> => {
  clock += 1_000;
  const mid = ids.messageId();
  const scheduled = rand() < 0.03 ? { scheduled: new Date(clock + 3_600_000).toISOString() } : {};
  await append(store, streams.message(mid), 'MessagePublished', {
    mid,
    from: 'u0',
    audience,
    msg: `message ${messages}`,
    opts: {},
    urgency: 3,
    at: new Date(clock).toISOString(),
    ...scheduled,
  });
  published.push(mid);
  messages += 1;
};

const setup = async (store: EventStore): Promise<void> => {
  for (let u = 0; u < USERS; u += 1)
    await append(store, streams.user(`u${u}`), 'UserRecognized', { uid: `u${u}`, via: 'token' });
  for (let u = 0; u < USERS; u += 2) {
    await append(store, streams.user(`u${u}`), 'DeviceEnlisted', {
      uid: `u${u}`,
      deviceId: `d${u}`,
      device: { os: 'ios', token: `t${u}` },
    });
  }
  for (let t = 0; t < THREADS; t += 1) {
    await append(store, streams.thread(`t${t}`), 'ThreadCreated', {
      tid: `t${t}`,
      owner: 'u0',
      opens: true,
      openp: true,
    });
  }
  for (let u = 0; u < USERS; u += 1) {
    for (let k = 0; k < 5; k += 1) {
      const tid = `t${(u + k * 7) % THREADS}`;
      await append(store, streams.thread(tid), 'ThreadMemberAdded', { tid, uid: `u${u}`, role: 'subscriber' });
    }
  }
};

// One step of live traffic: mostly thread messages, some direct, multicast and broadcast,
// plus the receipts, markers, deletions and withdrawals that follow them.
const step = async (store: EventStore): Promise<void> => {
  const r = rand();
  const uid = asUserId(`u${pick(USERS)}`);
  const recent = published[published.length - 1 - pick(Math.min(50, published.length))];
  if (r < 0.7 || recent === undefined) return publish(store, { kind: 'thread', tid: asThreadId(`t${pick(THREADS)}`) });
  if (r < 0.8) return publish(store, { kind: 'user', uid });
  if (r < 0.84)
    return publish(store, { kind: 'users', uids: [uid, `u${pick(USERS)}`, `u${pick(USERS)}`, 'u1'].map(asUserId) });
  if (r < 0.86) return publish(store, { kind: 'everyone' });
  if (r < 0.95)
    return append(store, streams.inbox(uid), 'MessagesAcknowledged', {
      uid,
      mids: [recent],
      status: rand() < 0.5 ? 'seen' : 'read',
    });
  if (r < 0.97) return append(store, streams.inbox(uid), 'LastReadMarked', { uid, mid: recent });
  if (r < 0.99) return append(store, streams.inbox(uid), 'MessageDeletedFromInbox', { uid, mids: [recent] });
  return append(store, streams.message(recent), rand() < 0.5 ? 'MessageCancelled' : 'MessageRetracted', {
    mid: recent,
    by: 'u0',
  });
};

const timed = async (label: string, runs: number, f: () => Promise<unknown>): Promise<void> => {
  const ms: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const t = performance.now();
    await f();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const q = (p: number): string => (ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] ?? 0).toFixed(3);
  console.log(`  ${label.padEnd(44)} p50 ${q(0.5)} ms  p99 ${q(0.99)} ms`);
};

const main = async (): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-bench-'));
  const store = createMemoryEventStore();
  await setup(store);
  while ((await store.head()) < N) await step(store);

  const read = openEmbeddedReadStore({ file: join(dir, 'read.db'), store });
  const { runner, db } = read;
  const head = await store.head();
  const started = performance.now();
  runner.start();
  await runner.waitFor(head, 600_000);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `catch-up: ${head} mixed events (${messages} messages) in ${seconds.toFixed(2)} s = ${Math.round(head / seconds)} events/s`,
  );

  // Top the log up to 100k messages (applied live, as appends arrive), then time the queries.
  while (messages < TARGET_MESSAGES) await step(store);
  await runner.waitFor(await store.head(), 600_000);
  const models = read.models;
  const now = new Date(clock);
  const count = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM messages').get()?.n ?? 0;
  console.log(`inbox queries over ${count} messages, ${USERS} users, ${THREADS} threads (each user in 5 threads):`);
  const page = (uid: string, extra: { before?: string; unseen?: boolean; limit?: number } = {}) =>
    models.inbox(uid, { limit: 50, ...extra }, now);
  let deep: string | undefined;
  for (let i = 0; i < 20; i += 1)
    deep = (await page('u1', deep === undefined ? {} : { before: deep })).next ?? undefined;
  await timed('inbox u1, first page of 50', 300, () => page('u1'));
  await timed('inbox u1, page 21 (1000 deep) of 50', 300, () => page('u1', deep === undefined ? {} : { before: deep }));
  await timed('inbox u1, unseen only, first page of 50', 300, () => page('u1', { unseen: true }));
  await timed('inbox u1999, first page of 200', 300, () => page('u1999', { limit: 200 }));
  await timed('thread t0 messages, first page of 50', 300, () => models.threadMessages('t0', { limit: 50 }, now));
  let total = 0;
  for (let next: string | undefined, more = true; more; more = next !== undefined) {
    const p = await page('u7', next === undefined ? {} : { before: next });
    total += p.messages.length;
    next = p.next ?? undefined;
  }
  console.log(`  (paged through u7's whole inbox: ${total} messages)`);
  // Worst case for the unseen filter: everything is read, so every source scans to its end.
  const newest = published[published.length - 1];
  if (newest !== undefined) await append(store, streams.inbox('u1'), 'LastReadMarked', { uid: 'u1', mid: newest });
  await runner.waitFor(await store.head(), 60_000);
  await timed('inbox u1, unseen only, all read (empty page)', 50, () => page('u1', { unseen: true }));
  await read.close();
  rmSync(dir, { recursive: true, force: true });
};

await main();
