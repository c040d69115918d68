import { describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../../../adapters/eventstore/memory.js';
import { sealed } from '../../../adapters/eventstore/sealed.js';
import type { BatchHandler, EventStore, EventToAppend, RecordedEvent } from '../../../ports/eventstore.js';
import { ERASED_TEXT } from '../../../schema/personal.js';
import { memoryKeys } from './memory-keys.js';

// The subscriptions of a store that hands every follower the same page (the SQLite log's shared
// reads) open that page once between them (adapters/eventstore/sealed.ts `openPage`), and again
// after an erasure, so that no follower reads an erased person's fields from an opening made
// before it.
const meta = (i: number): EventToAppend['metadata'] => ({
  eventId: `e${String(i)}`,
  occurredAt: '2026-01-01T00:00:00.000Z',
  actor: { uid: 'root', roles: ['admin'] },
  correlationId: `c${String(i)}`,
  causationId: `c${String(i)}`,
});
const published = (mid: string) => ({
  type: 'MessagePublished',
  data: {
    mid,
    from: 'root',
    audience: { kind: 'user', uid: 'dora' },
    msg: 'secret text',
    opts: {},
    urgency: 3,
    at: '2026-01-01T00:00:00.000Z',
  },
  metadata: meta(1),
});

const setup = async () => {
  const engine = createMemoryEventStore();
  const keys = memoryKeys();
  // Written by another process's sealing (nothing of it is cached by the reader below).
  const writer = sealed(engine, keys);
  await writer.append('message-m1', [published('m1')], 'no_stream');
  await writer.append('message-m2', [published('m2')], 'no_stream');
  // The engine as the SQLite log's hub serves it: every subscription handed the same page.
  const handlers: BatchHandler[] = [];
  const sharing: EventStore = {
    ...engine,
    subscribeAll: (_after, handler) => {
      handlers.push(handler);
      return { close: () => Promise.resolve() };
    },
  };
  const reader = sealed(sharing, keys);
  const got: (readonly RecordedEvent[])[] = [];
  for (let i = 0; i < 2; i += 1)
    reader.subscribeAll(0, (events) => {
      got.push(events);
      return Promise.resolve();
    });
  const page = await engine.readAll({ limit: 10 });
  const deliver = async (i: number): Promise<void> => {
    await handlers[i]?.(page);
  };
  return { reader, got, deliver };
};

describe('sealed subscriptions over shared pages', () => {
  it('open a page once for every follower handed it', async () => {
    const { got, deliver } = await setup();
    await deliver(0);
    await deliver(1);
    expect(got).toHaveLength(2);
    expect(got[1]).toBe(got[0]);
    expect(got[0]?.map((e) => (e.data as { msg: string }).msg)).toEqual(['secret text', 'secret text']);
  });

  it("open it again after an erasure: a later follower reads the person's fields redacted", async () => {
    const { reader, got, deliver } = await setup();
    await deliver(0);
    expect(await reader.forget('dora')).toBe(1);
    await deliver(1);
    expect(got[0]?.map((e) => (e.data as { msg: string }).msg)).toEqual(['secret text', 'secret text']);
    expect(got[1]?.map((e) => (e.data as { msg: string }).msg)).toEqual([ERASED_TEXT, ERASED_TEXT]);
  });
});
