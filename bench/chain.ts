// What the tamper-evident chain costs on the append path (adapters/eventstore/chained.ts):
// the command handler's send on a store with the chain against the same store without it,
// interleaved in blocks so drift in machine load hits both alike; on the in-memory log (the
// chain's CPU alone) and on the embedded SQLite log with 64 concurrent commands (durable,
// group-committed: what a node does). Checkpoints are on, every 1000 events, as in a node.
// Run: `npx tsc -p tsconfig.build.json && node dist/bench/chain.js`.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chained } from '../adapters/eventstore/chained.js';
import { createMemoryEventStore } from '../adapters/eventstore/memory.js';
import { createSqliteEventStore } from '../adapters/eventstore/sqlite.js';
import { messages } from '../commands/aggregates.js';
import { handle, type HandlerEnv } from '../commands/handler.js';
import { createLru } from '../commands/lru.js';
import type { CachedSnapshot } from '../commands/stream-state.js';
import type { MessageCommand } from '../domain/message.js';
import type { EventStore } from '../ports/eventstore.js';
import { asMessageId, asUserId } from '../schema/ids.js';
import { median } from './median.js';

const BLOCK = Number(process.env['BENCH_BLOCK'] ?? 2000);
const BLOCKS = Number(process.env['BENCH_BLOCKS'] ?? 10);
const CONCURRENCY = 64;

const now = new Date();
const ctx = { actor: { uid: 'bench', roles: ['admin'] }, now, correlationId: 'bench' };
const command = (i: number): MessageCommand => ({
  type: 'Publish',
  mid: asMessageId(`m-${i}`),
  caller: { uid: asUserId('bench'), admin: true },
  audience: { kind: 'user', uid: asUserId(`user-${i % 10_000}`) },
  content: {
    msg: 'Your order has shipped and will arrive on Thursday.',
    opts: { data: { key: 'whatever', order: i } },
  },
  now,
});

const withChain = (store: EventStore): EventStore =>
  chained(
    store,
    process.env['BENCH_NO_CHECKPOINTS'] === '1' ? {} : { checkpoints: { every: 1000, now: () => new Date() } },
  );

/** Microseconds per command, `BLOCK` commands, `concurrency` at a time. */
const run = async (store: EventStore, from: number, concurrency: number): Promise<number> => {
  const env: HandlerEnv = { cache: createLru<string, CachedSnapshot>(10_000), newId: () => 'e' };
  let next = from;
  const started = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (next < from + BLOCK) {
      const i = next++;
      await handle(store, `message-m-${i}`, messages, command(i), ctx, env);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return Number(process.hrtime.bigint() - started) / BLOCK / 1000;
};

const compare = async (name: string, open: () => EventStore, concurrency: number): Promise<void> => {
  const plain = open();
  const linked = withChain(open());
  await run(plain, 0, concurrency); // warm up both
  await run(linked, 0, concurrency);
  const without: number[] = [];
  const withIt: number[] = [];
  for (let b = 1; b <= BLOCKS; b += 1) {
    const order = b % 2 === 0 ? [plain, linked] : [linked, plain];
    for (const store of order) (store === plain ? without : withIt).push(await run(store, b * BLOCK, concurrency));
  }
  await plain.close();
  await linked.close();
  const u = median(without);
  const c = median(withIt);
  const at = new Date().toISOString().slice(0, 16).replace('T', ' ');
  process.stdout.write(
    `| ${at} | ${loadavg()[0]?.toFixed(1) ?? '?'} | ${name} | ${u.toFixed(2)} | ${c.toFixed(2)} | ${(c / u).toFixed(3)} |\n`,
  );
};

const main = async (): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-bench-chain-'));
  try {
    process.stdout.write(
      '| run (UTC) | load avg | log | without chain us/command | with chain us/command | ratio |\n|---|---|---|---|---|---|\n',
    );
    await compare('memory, 1 at a time', createMemoryEventStore, 1);
    let n = 0;
    await compare(
      'SQLite, 64 at a time',
      () => createSqliteEventStore({ file: join(dir, `events-${String(n++)}.db`) }),
      CONCURRENCY,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

void main();
