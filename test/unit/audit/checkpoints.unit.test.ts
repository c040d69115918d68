import { describe, expect, it } from 'vitest';
import { chained } from '../../../adapters/eventstore/chained.js';
import { createMemoryEventStore } from '../../../adapters/eventstore/memory.js';
import { verifyLog } from '../../../adapters/eventstore/verify.js';
import { numberedEvent } from './numbered-event.js';
import type { EventStore } from '../../../ports/eventstore.js';
import { CHECKPOINT_STREAM, LogCheckpointed } from '../../../schema/audit.js';

// Checkpoints written in the background by the nodes themselves: after `every` events a node
// appended, and by two nodes on one log without a gap or a fork in the checkpoint chain.
const ev = numberedEvent;
const now = () => new Date('2026-01-01T00:00:01.000Z');

const checkpoints = async (store: EventStore, count: number): Promise<LogCheckpointed[]> => {
  for (const deadline = Date.now() + 5_000; Date.now() < deadline; await new Promise((r) => setImmediate(r))) {
    const found = await store.read(CHECKPOINT_STREAM);
    if (found.length >= count) return found.map((e) => e.data as LogCheckpointed);
  }
  throw new Error(`fewer than ${String(count)} checkpoints after 5 s`);
};

describe('background checkpoints', () => {
  it('a node writes one after every `every` events it appended, each following the last', async () => {
    const engine = createMemoryEventStore();
    const store = chained(engine, { checkpoints: { every: 3, now } });
    for (let i = 0; i < 3; i++) await store.append(`s-${String(i)}`, [ev(i)], 'no_stream');
    const [first] = await checkpoints(engine, 1);
    expect(first).toMatchObject({ after: 0, upTo: 3, events: 3 });
    for (let i = 3; i < 6; i++) await store.append(`s-${String(i)}`, [ev(i)], 'no_stream');
    const [, second] = await checkpoints(engine, 2);
    expect(second).toMatchObject({ after: 3, prev: first?.hash });
    expect((await verifyLog(engine)).failure).toBeUndefined();
    await store.close();
  });

  it('two nodes on one log race for checkpoints without breaking their chain', async () => {
    const engine = createMemoryEventStore();
    const a = chained(engine, { checkpoints: { every: 2, now } });
    const b = chained(engine, { checkpoints: { every: 2, now } });
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).append(`s-${String(i % 7)}`, [ev(i)], 'any')),
    );
    await a.checkpoint();
    await b.checkpoint();
    const report = await verifyLog(engine);
    expect(report.failure).toBeUndefined();
    expect(report.checkpoints).toBeGreaterThan(1);
    expect(report.chained).toBe(report.events);
  });
});
