import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../../../adapters/eventstore/memory.js';
import type { EventStore } from '../../../ports/eventstore.js';
import { threads } from '../../../commands/aggregates.js';
import { handle } from '../../../commands/handler.js';
import type { HandlerEnv } from '../../../commands/handler.js';
import { createLru } from '../../../commands/lru.js';
import type { CachedSnapshot } from '../../../commands/stream-state.js';
import type { ThreadCommand } from '../../../domain/thread.js';
import { asThreadId, asUserId } from '../../../schema/ids.js';
import { NOW, ctxFor, expectError, rightOf, spy } from './support.js';

const T = asThreadId('t1');
const env = (maxAttempts?: number): HandlerEnv => ({
  cache: createLru<string, CachedSnapshot>(100),
  newId: randomUUID,
  ...(maxAttempts !== undefined ? { maxAttempts } : {}),
});
const subscribe = (who: string): ThreadCommand => ({
  type: 'Subscribe',
  tid: T,
  caller: { uid: asUserId(who), admin: false },
});
const unsubscribe = (who: string): ThreadCommand => ({
  type: 'Unsubscribe',
  tid: T,
  uid: asUserId(who),
  caller: { uid: asUserId(who), admin: false },
});
const open: ThreadCommand = {
  type: 'CreateThread',
  settings: { tid: T, opens: true },
  caller: { uid: asUserId('owner'), admin: false },
};
// Subscribing no longer claims an unknown thread (issue 9, finding 6): a new stream is a creation.
const create = (who: string, tid = T): ThreadCommand => ({
  type: 'CreateThread',
  settings: { tid },
  caller: { uid: asUserId(who), admin: false },
});

describe('handle', () => {
  it('stamps every event with metadata from the command context', async () => {
    const store = createMemoryEventStore();
    rightOf(await handle(store, 'thread-t1', threads, create('ann'), ctxFor('ann', { idempotencyKey: 'k1' }), env()));
    rightOf(
      await handle(store, 'thread-t1', threads, subscribe('ann'), ctxFor('ann', { idempotencyKey: 'k1' }), env()),
    );
    rightOf(await handle(store, 'thread-t2', threads, create('ann', asThreadId('t2')), ctxFor('ann'), env()));
    const [first, second] = await store.read('thread-t1');
    expect(first?.metadata).toEqual({
      eventId: expect.any(String) as unknown,
      occurredAt: NOW.toISOString(),
      actor: { uid: 'ann', roles: [] },
      correlationId: 'corr-ann',
      causationId: 'corr-ann',
      idempotencyKey: 'k1',
    });
    expect(second?.metadata.eventId).not.toBe(first?.metadata.eventId);
    const [other] = await store.read('thread-t2');
    expect(other?.metadata).not.toHaveProperty('idempotencyKey');
  });

  it('answers the last appended position, or the head when nothing was needed', async () => {
    const store = createMemoryEventStore();
    const e = env();
    rightOf(await handle(store, 'thread-t1', threads, open, ctxFor('owner'), e));
    const created = rightOf(await handle(store, 'thread-t1', threads, subscribe('ann'), ctxFor('ann'), e));
    expect(created.position).toBe(2);
    await store.append(
      'elsewhere',
      [
        {
          type: 'X',
          data: {},
          metadata: {
            eventId: 'x',
            occurredAt: '',
            actor: { uid: 'x', roles: [] },
            correlationId: 'c',
            causationId: 'c',
          },
        },
      ],
      'any',
    );
    const again = rightOf(await handle(store, 'thread-t1', threads, subscribe('ann'), ctxFor('ann'), e));
    expect(again.events).toEqual([]);
    expect(again.position).toBe(3);
    expect(again.streamPosition).toBe(2);
  });

  it('decides a new or cached stream without reading, and reads only after the cached revision on a conflict', async () => {
    const s = spy(createMemoryEventStore());
    const e = env();
    rightOf(await handle(s.store, 'thread-t1', threads, open, ctxFor('owner'), e));
    rightOf(await handle(s.store, 'thread-t1', threads, subscribe('ann'), ctxFor('ann'), e));
    expect(s.reads).toEqual([]);
    rightOf(await handle(s.store, 'thread-t1', threads, subscribe('ben'), ctxFor('ben'), env()));
    s.reads.length = 0;
    const cathy = rightOf(await handle(s.store, 'thread-t1', threads, subscribe('cathy'), ctxFor('cathy'), e));
    expect(cathy.events).toHaveLength(1);
    expect(s.reads.map((r) => r.options?.fromRevision)).toEqual([2]);
  });

  it('does not trust a refusal decided on an uncached stream: it reads and decides again', async () => {
    const store = createMemoryEventStore();
    rightOf(await handle(store, 'thread-t1', threads, open, ctxFor('owner'), env()));
    rightOf(await handle(store, 'thread-t1', threads, subscribe('ann'), ctxFor('ann'), env()));
    const left = rightOf(await handle(store, 'thread-t1', threads, unsubscribe('ann'), ctxFor('ann'), env()));
    expect(left.events).toHaveLength(1);
  });

  it('decides on fresh state when another writer changed a cached stream', async () => {
    const store = createMemoryEventStore();
    const nodeA = env();
    const nodeB = env();
    rightOf(await handle(store, 'thread-t1', threads, open, ctxFor('owner'), nodeA));
    rightOf(await handle(store, 'thread-t1', threads, subscribe('ann'), ctxFor('ann'), nodeA));
    rightOf(await handle(store, 'thread-t1', threads, unsubscribe('ann'), ctxFor('ann'), nodeB));
    const again = rightOf(await handle(store, 'thread-t1', threads, subscribe('ann'), ctxFor('ann'), nodeA));
    expect(again.events).toHaveLength(1);
  });

  it('re-reads and re-decides after a conflicting append', async () => {
    const memory = createMemoryEventStore();
    rightOf(await handle(memory, 'thread-t1', threads, open, ctxFor('owner'), env()));
    let sneaked = false;
    const racing: EventStore = {
      ...memory,
      append: async (stream, events, expected) => {
        if (!sneaked) {
          sneaked = true;
          rightOf(await handle(memory, stream, threads, subscribe('ben'), ctxFor('ben'), env()));
        }
        return memory.append(stream, events, expected);
      },
    };
    const result = rightOf(await handle(racing, 'thread-t1', threads, subscribe('ann'), ctxFor('ann'), env()));
    expect(result.events).toHaveLength(1);
    expect((await memory.read('thread-t1')).map((r) => (r.data as { uid?: string }).uid)).toEqual([
      undefined,
      'ben',
      'ann',
    ]);
  });

  it('takes turns on one stream: 40 users joining one thread at once all get in on the first attempt', async () => {
    const join = async (e: HandlerEnv) => {
      const memory = createMemoryEventStore();
      rightOf(await handle(memory, 'thread-t1', threads, open, ctxFor('owner'), e));
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          handle(memory, 'thread-t1', threads, subscribe(`u${i}`), ctxFor(`u${i}`), e),
        ),
      );
      return { ok: results.filter(E.isRight).length, members: (await memory.read('thread-t1')).length - 1 };
    };
    // One attempt each: a conflict is a failure, so only turns can let all 40 in.
    expect(await join({ ...env(1), turns: new Map() })).toEqual({ ok: 40, members: 40 });
    // Without turns the same requests race on the stream's revision and most lose.
    expect((await join(env(1))).ok).toBeLessThan(40);
  });

  it('a failed command does not stop the next one on its stream, and the turns are forgotten', async () => {
    const memory = createMemoryEventStore();
    const turns = new Map<string, Promise<unknown>>();
    const e = { ...env(), turns };
    rightOf(await handle(memory, 'thread-t1', threads, open, ctxFor('owner'), e));
    const broken: EventStore = { ...memory, append: () => Promise.reject(new Error('disk full')) };
    const [failed, next] = await Promise.all([
      handle(broken, 'thread-t1', threads, subscribe('ann'), ctxFor('ann'), e),
      handle(memory, 'thread-t1', threads, subscribe('ben'), ctxFor('ben'), e),
    ]);
    expectError(failed, 'unavailable', 'FailedToAppend');
    expect(rightOf(next).events).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 0));
    expect(turns.size).toBe(0);
  });

  it('gives up with FailedToAppend when the stream keeps conflicting', async () => {
    const memory = createMemoryEventStore();
    let appends = 0;
    const hostile: EventStore = {
      ...memory,
      append: (stream, _events, expected) => {
        appends++;
        return Promise.resolve({ kind: 'wrong_expected_revision', stream, expected, actual: 99 });
      },
    };
    const result = await handle(hostile, 'thread-t1', threads, create('ann'), ctxFor('ann'), env(3));
    expectError(result, 'unavailable', 'FailedToAppend');
    expect(appends).toBe(3);
  });

  it('turns a thrown store error into FailedToAppend without echoing it, and forgets the cached state', async () => {
    const memory = createMemoryEventStore();
    const e = env();
    rightOf(await handle(memory, 'thread-t1', threads, open, ctxFor('owner'), e));
    const broken: EventStore = { ...memory, append: () => Promise.reject(new Error('connect esdb://admin:s3cret@db')) };
    const result = await handle(broken, 'thread-t1', threads, subscribe('ann'), ctxFor('ann'), e);
    expectError(result, 'unavailable', 'FailedToAppend');
    expect(JSON.stringify(result)).not.toContain('s3cret');
    expect(e.cache.get('thread-t1')).toBeUndefined();
  });

  it('refuses a stream holding an event that does not match its schema', async () => {
    const memory = createMemoryEventStore();
    await memory.append(
      'thread-t1',
      [
        {
          type: 'ThreadCreated',
          data: { tid: 't1' },
          metadata: {
            eventId: 'x',
            occurredAt: '',
            actor: { uid: 'x', roles: [] },
            correlationId: 'c',
            causationId: 'c',
          },
        },
      ],
      'no_stream',
    );
    const result = await handle(memory, 'thread-t1', threads, subscribe('ann'), ctxFor('ann'), env());
    expectError(result, 'unavailable', 'FailedToAppend');
  });

  it('lets a bug in a decider surface as an exception, not as FailedToAppend', async () => {
    const broken = {
      ...threads,
      decide: () => {
        throw new Error('bug');
      },
    };
    await expect(
      handle(createMemoryEventStore(), 'thread-t1', broken, subscribe('ann'), ctxFor('ann'), env()),
    ).rejects.toThrow('bug');
  });

  it('passes domain errors through untouched', async () => {
    const memory = createMemoryEventStore();
    rightOf(await handle(memory, 'thread-t1', threads, open, ctxFor('owner'), env()));
    const result = await handle(memory, 'thread-t1', threads, open, ctxFor('owner'), env());
    expect(result).toMatchObject(E.left({ kind: 'conflict', code: 'ThreadAlreadyExists' }));
  });
});
