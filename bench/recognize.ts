// What recognising the caller costs per authenticated request, the node's gate
// (app/recognition.ts: a known user costs a bounded-LRU lookup and no await) against what every
// request did before it (build a command context and await commands.recognize, which answered
// a known user from its own memory). Same run, same users, interleaved in blocks so drift in
// machine load hits both alike; a warmed-up population of 10,000 users.
// Run: `npx tsc -p tsconfig.build.json && node dist/bench/recognize.js`.
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { createMemoryEventStore } from '../adapters/eventstore/memory.js';
import { createRecognition } from '../app/recognition.js';
import { createCommands } from '../commands/index.js';
import { median } from './median.js';

const BLOCK = Number(process.env['BENCH_BLOCK'] ?? 200_000);
const BLOCKS = Number(process.env['BENCH_BLOCKS'] ?? 20);
const USERS = 10_000;

const commands = createCommands({ store: createMemoryEventStore(), ids: { randomId: randomUUID } });
const actors = Array.from({ length: USERS }, (_, i) => ({ uid: `user-${i}`, roles: [] }));
const recognise = createRecognition(
  (ctx) => commands.recognize(ctx),
  () => new Date(),
);

// Before: every request awaited the command (as app/node.ts's onActor did).
const perRequestCommand = async (from: number): Promise<number> => {
  const started = process.hrtime.bigint();
  for (let i = from; i < from + BLOCK; i += 1) {
    const actor = actors[i % USERS] ?? { uid: 'none', roles: [] };
    await commands.recognize({ actor, now: new Date(), correlationId: 'recognize' });
  }
  return Number(process.hrtime.bigint() - started) / BLOCK;
};

// After: the node's gate; the request awaits only when the gate hands it a promise.
const nodeGate = async (from: number): Promise<number> => {
  const started = process.hrtime.bigint();
  for (let i = from; i < from + BLOCK; i += 1) {
    const p = recognise(actors[i % USERS] ?? { uid: 'none', roles: [] });
    if (p !== undefined) await p;
  }
  return Number(process.hrtime.bigint() - started) / BLOCK;
};

const main = async (): Promise<void> => {
  for (const a of actors) await recognise(a); // every user known to both memories
  await perRequestCommand(0);
  await nodeGate(0);
  const before: number[] = [];
  const after: number[] = [];
  for (let b = 0; b < BLOCKS; b += 1) {
    if (b % 2 === 0) {
      before.push(await perRequestCommand(b * BLOCK));
      after.push(await nodeGate(b * BLOCK));
    } else {
      after.push(await nodeGate(b * BLOCK));
      before.push(await perRequestCommand(b * BLOCK));
    }
  }
  const b = median(before);
  const a = median(after);
  const row = `| ${new Date().toISOString().slice(0, 16).replace('T', ' ')} | ${loadavg()[0]?.toFixed(1) ?? '?'} | ${b.toFixed(0)} | ${a.toFixed(0)} | ${(a / b).toFixed(3)} |`;
  process.stdout.write(
    `recognition per known caller, median of ${BLOCKS} blocks of ${BLOCK}: command per request ${b.toFixed(0)} ns, node gate ${a.toFixed(0)} ns\n${row}\n`,
  );
};

void main();
