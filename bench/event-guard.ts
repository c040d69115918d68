// What the append guard costs (commands/handler.ts: an event is appended only if the codec
// that decodes it on read accepts it). Same run, same store, same commands: the real message
// aggregate against one whose guard always passes, interleaved in blocks so drift in machine
// load hits both alike. Run: `npx tsc -p tsconfig.build.json && node dist/bench/event-guard.js`.
import { loadavg } from 'node:os';
import { createMemoryEventStore } from '../adapters/eventstore/memory.js';
import { messages } from '../commands/aggregates.js';
import type { Aggregate } from '../commands/aggregates.js';
import { handle } from '../commands/handler.js';
import type { HandlerEnv } from '../commands/handler.js';
import { createLru } from '../commands/lru.js';
import type { CachedSnapshot } from '../commands/stream-state.js';
import type { MessageCommand } from '../domain/message.js';
import type { MessageState } from '../domain/message-state.js';
import { asMessageId, asUserId } from '../schema/ids.js';
import type { MessageEvent } from '../schema/events.js';
import { median } from './median.js';

const BLOCK = Number(process.env['BENCH_BLOCK'] ?? 2000);
const BLOCKS = Number(process.env['BENCH_BLOCKS'] ?? 20);

// The same codec for reading back, with a guard that never looks.
const passAll = Object.assign(Object.create(messages.codec) as typeof messages.codec, {
  is: (_u: unknown): _u is MessageEvent => true,
});
const unguarded: Aggregate<MessageCommand, MessageEvent, MessageState> = { ...messages, codec: passAll };

const now = new Date();
const ctx = { actor: { uid: 'bench', roles: ['admin'] }, now, correlationId: 'bench' };
// A typical send: a short message to one user, with a small `opts` as the seeds send it.
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

const run = async (aggregate: typeof messages, from: number): Promise<number> => {
  const store = createMemoryEventStore();
  const env: HandlerEnv = { cache: createLru<string, CachedSnapshot>(10_000), newId: () => 'e' };
  const started = process.hrtime.bigint();
  for (let i = from; i < from + BLOCK; i += 1) await handle(store, `message-m-${i}`, aggregate, command(i), ctx, env);
  return Number(process.hrtime.bigint() - started) / BLOCK / 1000;
};

const main = async (): Promise<void> => {
  const guarded: number[] = [];
  const baseline: number[] = [];
  await run(messages, 0); // warm up both paths
  await run(unguarded, 0);
  for (let b = 0; b < BLOCKS; b += 1) {
    const [first, second] = b % 2 === 0 ? [messages, unguarded] : [unguarded, messages];
    const a = await run(first, b * BLOCK);
    const c = await run(second, b * BLOCK);
    (first === messages ? guarded : baseline).push(a);
    (second === messages ? guarded : baseline).push(c);
  }
  const g = median(guarded);
  const u = median(baseline);
  const row = `| ${new Date().toISOString().slice(0, 16).replace('T', ' ')} | ${loadavg()[0]?.toFixed(1) ?? '?'} | ${u.toFixed(2)} | ${g.toFixed(2)} | ${(g / u).toFixed(3)} |`;
  process.stdout.write(
    `handle() per publish, memory store, median of ${BLOCKS} blocks of ${BLOCK}: without guard ${u.toFixed(2)} us, with guard ${g.toFixed(2)} us\n${row}\n`,
  );
};

void main();
