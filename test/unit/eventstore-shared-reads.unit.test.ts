import { describe, expect, it } from 'vitest';
import { sharedReads, subscriptionHub } from '../../adapters/eventstore/catch-up.js';
import { createMemoryEventStore } from '../../adapters/eventstore/memory.js';
import type { EventStore, ReadAllOptions, RecordedEvent } from '../../ports/eventstore.js';

// Subscriptions of one hub share a read of the same page between two commits (issue 15): one
// read per commit however many followers, and never a page read before the commit they were
// woken for.
const meta = {
  eventId: 'e',
  occurredAt: '2026-01-01T00:00:00.000Z',
  actor: { uid: 'root', roles: ['admin'] },
  correlationId: 'c',
  causationId: 'c',
};

const counted = (store: EventStore) => {
  const reads: ReadAllOptions[] = [];
  let failNext = false;
  return {
    reads,
    failOnce: () => {
      failNext = true;
    },
    readAll: (o: ReadAllOptions): Promise<readonly RecordedEvent[]> => {
      reads.push(o);
      if (failNext) {
        failNext = false;
        return Promise.reject(new Error('disk on fire'));
      }
      return store.readAll(o);
    },
  };
};

// A follower's view: every position it was handed, and a way to wait for one.
const follower = () => {
  const seen: number[] = [];
  const waiting: { at: number; done: () => void }[] = [];
  return {
    seen,
    handler: (events: readonly RecordedEvent[]): Promise<void> => {
      for (const e of events) seen.push(e.position);
      for (const w of waiting.splice(0))
        if (seen.includes(w.at)) w.done();
        else waiting.push(w);
      return Promise.resolve();
    },
    reached: (at: number): Promise<void> =>
      seen.includes(at) ? Promise.resolve() : new Promise((done) => waiting.push({ at, done })),
  };
};

const append = async (engine: EventStore, n: number): Promise<void> => {
  await engine.append(`s-${String(n)}`, [{ type: 'T', data: { n }, metadata: meta }], 'no_stream');
};

describe('subscription hub with shared reads', () => {
  it('reads each new page once for all its subscriptions, and hands them the same events', async () => {
    const engine = createMemoryEventStore();
    const source = counted(engine);
    const hub = subscriptionHub(source, { shareReads: true });
    const followers = [follower(), follower(), follower()];
    const batches: (readonly RecordedEvent[])[] = [];
    for (const f of followers)
      hub.subscribeAll(0, (events) => {
        batches.push(events);
        return f.handler(events);
      });
    // Which commit (wake) each engine read happened after.
    let commits = 0;
    const reads: string[] = [];
    const readAll = source.readAll;
    source.readAll = (o) => {
      reads.push(`${String(commits)}:${String(o.after)}`);
      return readAll(o);
    };
    for (let n = 1; n <= 3; n += 1) {
      await append(engine, n);
      commits += 1;
      hub.wake();
      await Promise.all(followers.map((f) => f.reached(n)));
    }
    for (const f of followers) expect(f.seen).toEqual([1, 2, 3]);
    // Between two commits each page was read from the engine once, not once per follower.
    expect(reads.length).toBeGreaterThanOrEqual(4);
    expect(new Set(reads).size).toBe(reads.length);
    expect(batches[0]).toBe(batches[1]);
    expect(batches[1]).toBe(batches[2]);
    await hub.closeAll();
  });

  it('reads again after a commit: a subscription never settles for a page read before it', async () => {
    const engine = createMemoryEventStore();
    const source = counted(engine);
    const hub = subscriptionHub(source, { shareReads: true });
    const a = follower();
    hub.subscribeAll(0, a.handler);
    await append(engine, 1);
    hub.wake();
    await a.reached(1);
    // The engine has a new event but nobody was told yet: a new subscription from 0 may get
    // the page read before it, and gets the event once the commit's wake comes.
    await append(engine, 2);
    const b = follower();
    hub.subscribeAll(0, b.handler);
    hub.wake();
    await Promise.all([a.reached(2), b.reached(2)]);
    expect(a.seen).toEqual([1, 2]);
    expect(b.seen).toEqual([1, 2]);
    await hub.closeAll();
  });

  it('does not keep a failed read: the next reader reads again', async () => {
    const engine = createMemoryEventStore();
    await append(engine, 1);
    const source = counted(engine);
    const hub = subscriptionHub(source, { shareReads: true });
    const errors: unknown[] = [];
    source.failOnce();
    const failed = follower();
    hub.subscribeAll(0, failed.handler, (e) => errors.push(e));
    const b = follower();
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (errors.length > 0) resolve();
        else setImmediate(check);
      };
      check();
    });
    hub.subscribeAll(0, b.handler);
    await b.reached(1);
    expect(errors).toHaveLength(1);
    expect(b.seen).toEqual([1]);
    await hub.closeAll();
  });

  it('without shareReads, every subscription reads for itself', async () => {
    const engine = createMemoryEventStore();
    await append(engine, 1);
    const source = counted(engine);
    const hub = subscriptionHub(source);
    const a = follower();
    const b = follower();
    hub.subscribeAll(0, a.handler);
    hub.subscribeAll(0, b.handler);
    await Promise.all([a.reached(1), b.reached(1)]);
    expect(source.reads.filter((o) => o.after === 0)).toHaveLength(2);
    await hub.closeAll();
  });

  it('keeps the last pages only: catching up on a long log does not hold it all until the next commit', async () => {
    const engine = createMemoryEventStore();
    for (let n = 0; n < 40; n++) await append(engine, n);
    const source = counted(engine);
    const shared = sharedReads(source, 4);
    for (let after = 0; after < 40; after += 2) await shared.readAll({ after, limit: 2 });
    expect(source.reads).toHaveLength(20);
    // The last four pages are still shared, an older one is read again, with the same answer.
    expect((await shared.readAll({ after: 38, limit: 2 })).map((e) => e.position)).toEqual([39, 40]);
    expect(source.reads).toHaveLength(20);
    expect((await shared.readAll({ after: 0, limit: 2 })).map((e) => e.position)).toEqual([1, 2]);
    expect(source.reads).toHaveLength(21);
  });
});
