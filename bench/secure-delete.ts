// What `secure_delete` costs on the projection write path (docs/gdpr.md): catch-up of the
// embedded read models over one mixed log (messages, receipts, inbox deletions, retractions,
// device changes: the updates and deletes where the setting does work), with the read-model
// connection's `secure_delete` OFF, FAST (what every batch runs with) and ON (what a batch
// with an erasure runs with), rounds interleaved; times relative to OFF.
// Run: npx vite-node bench/secure-delete.ts [events=30000] [rounds=3]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryEventStore } from '../adapters/eventstore/memory.js';
import type { EventStore } from '../ports/eventstore.js';
import { createIdGenerator } from '../adapters/ids/ids.js';
import { openEmbeddedReadStore } from '../app/read-stores.js';
import type { SqliteGenerations } from '../adapters/checkpoint/sqlite-generations.js';
import { createEmbeddedSearchIndex } from '../adapters/search/embedded.js';
import { createSearchProjectionRunner } from '../projections/search/open.js';
import { streams } from '../schema/events.js';

const N = Number(process.argv[2] ?? 30_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const USERS = 1_000;
const THREADS = 30;
const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const MODES = ['OFF', 'FAST', 'ON'] as const;

let seed = 7;
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
  actor: { uid: 'b', roles: [] },
  correlationId: 'c',
  causationId: 'c',
};
const append = async (store: EventStore, stream: string, type: string, data: unknown): Promise<void> => {
  await store.append(stream, [{ type, data, metadata: meta }], 'any');
};

const fill = async (store: EventStore): Promise<void> => {
  const published: string[] = [];
  for (let u = 0; u < USERS; u += 1)
    await append(store, streams.user(`u${u}`), 'UserRecognized', { uid: `u${u}`, via: 'token' });
  for (let t = 0; t < THREADS; t += 1)
    await append(store, streams.thread(`t${t}`), 'ThreadCreated', {
      tid: `t${t}`,
      owner: 'u0',
      opens: true,
      openp: true,
    });
  for (let u = 0; u < USERS; u += 1)
    for (let k = 0; k < 3; k += 1) {
      const tid = `t${(u + k * 7) % THREADS}`;
      await append(store, streams.thread(tid), 'ThreadMemberAdded', { tid, uid: `u${u}`, role: 'subscriber' });
    }
  while ((await store.head()) < N) {
    clock += 1_000;
    const r = rand();
    const uid = `u${pick(USERS)}`;
    const recent = published[published.length - 1 - pick(Math.min(50, published.length))];
    if (r < 0.5 || recent === undefined) {
      const mid = ids.messageId();
      const audience = r < 0.35 ? { kind: 'thread', tid: `t${pick(THREADS)}` } : { kind: 'user', uid };
      await append(store, streams.message(mid), 'MessagePublished', {
        mid,
        from: 'u0',
        audience,
        msg: `message text ${'w'.repeat(pick(200))}`,
        opts: {},
        urgency: 3,
        at: new Date(clock).toISOString(),
      });
      published.push(mid);
    } else if (r < 0.75)
      await append(store, streams.inbox(uid), 'MessagesAcknowledged', {
        uid,
        mids: [recent],
        status: rand() < 0.5 ? 'seen' : 'read',
      });
    else if (r < 0.85) await append(store, streams.inbox(uid), 'MessageDeletedFromInbox', { uid, mids: [recent] });
    else if (r < 0.9) await append(store, streams.message(recent), 'MessageRetracted', { mid: recent, by: 'u0' });
    else
      await append(store, streams.user(uid), 'DeviceEnlisted', {
        uid,
        deviceId: `d${uid}-${pick(3)}`,
        device: { os: 'ios', token: `token-${uid}-${pick(1e9)}` },
      });
  }
};

const catchUp = async (store: EventStore, mode: (typeof MODES)[number]): Promise<number> => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-bench-sd-'));
  const read = openEmbeddedReadStore({ file: join(dir, 'read.db'), store });
  read.db.pragma(`secure_delete = ${mode}`);
  const head = await store.head();
  const t = performance.now();
  read.runner.start();
  await read.runner.waitFor(head, 600_000);
  const ms = performance.now() - t;
  await read.close();
  rmSync(dir, { recursive: true, force: true });
  return ms;
};

const searchCatchUp = async (store: EventStore, mode: (typeof MODES)[number]): Promise<number> => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-bench-sd-'));
  const index = createEmbeddedSearchIndex({ file: join(dir, 'search.db') });
  (index.generations as SqliteGenerations<unknown>).liveNow().db.pragma(`secure_delete = ${mode}`);
  const runner = createSearchProjectionRunner({ store, index, pageSize: 1_000 });
  const head = await store.head();
  const t = performance.now();
  runner.start();
  await runner.waitFor(head, 600_000);
  const ms = performance.now() - t;
  await runner.stop();
  await index.close();
  rmSync(dir, { recursive: true, force: true });
  return ms;
};

const main = async (): Promise<void> => {
  const store = createMemoryEventStore();
  await fill(store);
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  for (const [name, run] of [
    ['read models', catchUp],
    ['search', searchCatchUp],
  ] as const) {
    const ms: Record<string, number[]> = { OFF: [], FAST: [], ON: [] };
    await run(store, 'OFF'); // warm-up
    for (let r = 0; r < ROUNDS; r += 1) for (const m of MODES) ms[m]?.push(await run(store, m));
    const off = median(ms['OFF'] ?? []);
    console.log(`${name} catch-up, ${String(await store.head())} events, median of ${String(ROUNDS)}:`);
    for (const m of MODES) {
      const v = median(ms[m] ?? []);
      const all = (ms[m] ?? []).map((x) => x.toFixed(0)).join(', ');
      console.log(`  secure_delete=${m.padEnd(4)} ${v.toFixed(0)} ms  ratio ${(v / off).toFixed(3)}  (${all})`);
    }
  }
};

await main();
