import { describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../../../adapters/eventstore/memory.js';
import { followingAfterFanout } from '../../../app/after-fanout.js';
import type { RecordedEvent } from '../../../ports/eventstore.js';

// The delivery reactors beside the fan-out (app/after-fanout.ts): a batch reaches them one turn
// of the loop after the task that woke them, so whatever that task published (the live
// follower's frames, which uWS writes once the task and its microtasks end) goes out first.
const meta = {
  eventId: 'e1',
  occurredAt: '2026-12-06T00:00:00.000Z',
  actor: { uid: 'admin', roles: ['admin'] },
  correlationId: 'c1',
  causationId: 'c1',
};
const event = (mid: string) => ({ type: 'MessagePublished', data: { mid }, metadata: meta });
const microtasks = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i += 1) await Promise.resolve();
};
const turn = (): Promise<void> =>
  new Promise((resolve) => {
    setImmediate(resolve);
  });

describe('following after the fan-out', () => {
  it('hands a commit to the deferred follower only after the task that woke both followers has ended', async () => {
    const store = createMemoryEventStore();
    const order: string[] = [];
    const seen: RecordedEvent[] = [];
    const live = store.subscribeAll(0, (events) => {
      order.push(`live ${events.length}`);
      return Promise.resolve();
    });
    const reactors = followingAfterFanout(store).subscribeAll(0, (events) => {
      order.push(`reactors ${events.length}`);
      seen.push(...events);
      return Promise.resolve();
    });
    await store.append('msg-m1', [event('m1')], 'any');
    await microtasks(50);
    expect(order).toEqual(['live 1']);
    await turn();
    await microtasks(50);
    expect(order).toEqual(['live 1', 'reactors 1']);
    // Every batch, in order, with nothing lost or doubled.
    await store.append('msg-m2', [event('m2')], 'any');
    await store.append('msg-m3', [event('m3')], 'any');
    for (let i = 0; i < 5; i += 1) await turn();
    expect(seen.map((e) => (e.data as { mid: string }).mid)).toEqual(['m1', 'm2', 'm3']);
    expect(seen.map((e) => e.position)).toEqual([1, 2, 3]);
    await live.close();
    await reactors.close();
  });

  it('leaves appends, reads and the head as they are', async () => {
    const store = createMemoryEventStore();
    const deferred = followingAfterFanout(store);
    await deferred.append('msg-m1', [event('m1')], 'no_stream');
    expect(await store.head()).toBe(1);
    expect(await deferred.head()).toBe(1);
    expect((await deferred.read('msg-m1')).map((e) => e.type)).toEqual(['MessagePublished']);
  });
});
