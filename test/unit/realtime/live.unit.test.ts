import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createInProcessBus } from '../../../adapters/bus/in-process.js';
import type { TopicKind } from '../../../ports/bus.js';
import { createMemoryEventStore } from '../../../adapters/eventstore/memory.js';
import { createMemoryCheckpoints } from '../../../adapters/checkpoint/memory.js';
import { fixedClock } from '../../../adapters/clock/clock.js';
import { startLive, type Live } from '../../../delivery/live.js';
import { messageLiveness } from '../../../delivery/live-reads.js';
import { reactorAppend } from '../../../delivery/append.js';
import { triageStream } from '../../../domain/triage/keys.js';
import { createCommands } from '../../../commands/index.js';
import { audienceParts } from '../../../commands/audience-parts.js';
import type { CommandContext } from '../../../commands/types.js';
import { asMessageId, asThreadId, asUserId } from '../../../schema/ids.js';
import { meta } from '../projections/fixtures.js';

// Live delivery on the real command side over an in-memory log: the realtime follower turns
// each decision into the publication the fan-out expects (here to the bus, as on a node whose
// log is its own), once it has followed the log past the append.
const running: Live[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((l) => l.stop()));
});
const setup = async () => {
  const store = createMemoryEventStore();
  const bus = createInProcessBus();
  const got: { kind: TopicKind; key: string; header: unknown; frame: unknown }[] = [];
  for (const kind of ['user', 'thread', 'broadcast'] as const) {
    bus.subscribe(kind, (key, payload) => {
      const nl = payload.indexOf('\n');
      const rest = payload.slice(nl + 1);
      got.push({
        kind,
        key,
        header: JSON.parse(payload.slice(0, nl)),
        frame: rest === '' ? undefined : JSON.parse(rest),
      });
    });
  }
  const commands = createCommands({ store, ids: { randomId: randomUUID } });
  const live = await startLive({
    store,
    sink: bus,
    reads: messageLiveness(commands, audienceParts(store)),
    checkpoints: createMemoryCheckpoints(),
    now: () => new Date().toISOString(),
    log: {
      warn: (o, m) => {
        throw new Error(`${m} ${JSON.stringify(o)}`);
      },
      error: (o, m) => {
        throw new Error(`${m} ${JSON.stringify(o)}`);
      },
    },
  });
  running.push(live);
  /** Resolves once the follower has written every frame up to the log head. */
  const caughtUp = async (): Promise<void> => {
    const head = await store.head();
    await live.caughtUp(head, 5_000);
    expect(live.position()).toBeGreaterThanOrEqual(head);
  };
  return { store, got, commands, caughtUp };
};
const ctx = (uid: string, correlationId = `req-${uid}`, admin = false): CommandContext => ({
  actor: { uid, roles: admin ? ['admin'] : [] },
  now: new Date('2030-01-01T00:00:00Z'),
  correlationId,
});
const mid = (n: number): ReturnType<typeof asMessageId> => asMessageId(`0190a5d0-0000-7000-8000-00000000000${n}`);

describe('live delivery from the log follower', () => {
  // Issue 13: a segment audience over 10,000 users is read part by part from audience-<mid>.
  it('publishes a chunked audience to each user of its parts, once, and its retraction too', async () => {
    const { commands, got, caughtUp } = await setup();
    const uids = Array.from({ length: 10_500 }, (_, i) => `c-${String(i).padStart(5, '0')}`);
    const directory = {
      selectUsers: (_q: unknown, page: { readonly after?: string; readonly limit: number }) => {
        const from = page.after === undefined ? 0 : uids.findIndex((u) => u > (page.after ?? ''));
        return Promise.resolve(from < 0 ? [] : uids.slice(from, from + page.limit));
      },
    };
    const admin = ctx('admin', 'r-big', true);
    const r = await commands.multicastAudience(
      admin,
      mid(9),
      { query: { tag: 'x' } },
      { msg: 'wide', opts: {} },
      directory,
    );
    expect(r._tag).toBe('Right');
    await caughtUp();
    const frames = got.filter((g) => (g.frame as { mid?: string } | undefined)?.mid === mid(9));
    expect(frames.every((g) => g.kind === 'user')).toBe(true);
    expect(frames.map((g) => g.key)).toEqual(uids);
    await commands.deleteMessage(admin, mid(9));
    await caughtUp();
    const deleted = got.filter((g) =>
      (g.frame as { type?: string; mids?: string[] } | undefined)?.mids?.includes(mid(9)),
    );
    expect(deleted.map((g) => g.key)).toEqual(uids);
  });

  it('publishes messages to their audience subject with the frame clients receive', async () => {
    const { commands, got, caughtUp } = await setup();
    await commands.send(ctx('admin', 'r1', true), mid(1), asUserId('bob'), { msg: 'hi', opts: {} });
    await commands.multicast(ctx('admin', 'r2', true), mid(2), [asUserId('a'), asUserId('b')], {
      msg: 'all',
      opts: {},
    });
    await commands.broadcast(ctx('admin', 'r3', true), mid(3), { msg: 'every', opts: {} });
    await caughtUp();
    expect(got.map((g) => [g.kind, g.key, g.header])).toEqual([
      ['user', 'bob', { k: 'f', mid: mid(1) }],
      ['user', 'a', { k: 'f', mid: mid(2) }],
      ['user', 'b', { k: 'f', mid: mid(2) }],
      ['broadcast', '', { k: 'f', mid: mid(3) }],
    ]);
    expect(got[0]?.frame).toEqual({
      type: 'message',
      mid: mid(1),
      from: 'admin',
      msg: 'hi',
      opts: {},
      urgency: 3,
      at: '2030-01-01T00:00:00.000Z',
    });
  });

  it('publishes membership changes and receipts to the user, naming the websocket session that caused them', async () => {
    const { commands, got, caughtUp } = await setup();
    await commands.createThread(ctx('olga'), { tid: asThreadId('room'), opens: true });
    await caughtUp();
    got.length = 0;
    await commands.subscribe(ctx('hank', 'ws:sid-1:4'), asThreadId('room'));
    await commands.acknowledge(ctx('hank', 'ws:sid-1:5'), [mid(1)], 'seen');
    await commands.acknowledge(ctx('hank', 'http-req'), [mid(1)], 'delivered');
    await commands.markRead(ctx('hank', 'http-req2'), mid(1), asThreadId('room'));
    await commands.deleteFromInbox(ctx('hank', 'ws:sid-2:1'), [mid(1)]);
    await commands.unsubscribe(ctx('hank', 'http-req3'), asThreadId('room'));
    await caughtUp();
    expect(got.map((g) => [g.kind, g.key, g.header, g.frame])).toEqual([
      ['user', 'hank', { k: 'join', tid: 'room', origin: 'sid-1' }, undefined],
      ['user', 'hank', { k: 'f', origin: 'sid-1' }, { type: 'seen', mids: [mid(1)] }],
      ['user', 'hank', { k: 'f' }, { type: 'read', mid: mid(1), tid: 'room' }],
      ['user', 'hank', { k: 'f', origin: 'sid-2' }, { type: 'deleted', mids: [mid(1)] }],
      ['user', 'hank', { k: 'leave', tid: 'room' }, undefined],
    ]);
  });

  it('holds back a scheduled message until the scheduler records it due, then publishes it once', async () => {
    const { store, commands, got, caughtUp } = await setup();
    const scheduled = new Date('2030-01-02T00:00:00Z');
    await commands.send(ctx('admin', 'r', true), mid(4), asUserId('bob'), { msg: 'later', opts: {}, scheduled });
    // The follower has read past the scheduled message (evidence, not a sleep) and held it back.
    await caughtUp();
    expect(got).toEqual([]);
    await reactorAppend(store, fixedClock(scheduled))(
      triageStream(mid(4)),
      [{ type: 'MessageDue', data: { mid: mid(4), due: scheduled.toISOString() } }],
      -1,
      { correlationId: 'r', causationId: 'r' },
    );
    await caughtUp();
    expect(got.map((g) => [g.kind, g.key, g.header, g.frame])).toEqual([
      [
        'user',
        'bob',
        { k: 'f', mid: mid(4) },
        {
          type: 'message',
          mid: mid(4),
          from: 'admin',
          msg: 'later',
          opts: {},
          urgency: 3,
          at: '2030-01-01T00:00:00.000Z',
          scheduled: scheduled.toISOString(),
        },
      ],
    ]);
  });

  it('does not publish a scheduled message cancelled before it came due', async () => {
    const { store, commands, got, caughtUp } = await setup();
    const scheduled = new Date('2030-01-02T00:00:00Z');
    const due = (m: ReturnType<typeof mid>) =>
      reactorAppend(store, fixedClock(scheduled))(
        triageStream(m),
        [{ type: 'MessageDue', data: { mid: m, due: scheduled.toISOString() } }],
        -1,
        { correlationId: 'r', causationId: 'r' },
      );
    await commands.send(ctx('admin', 'r', true), mid(5), asUserId('bob'), { msg: 'never', opts: {}, scheduled });
    await commands.send(ctx('admin', 'r', true), mid(6), asUserId('bob'), { msg: 'fence', opts: {}, scheduled });
    await commands.cancel(ctx('admin', 'r2', true), mid(5));
    await due(mid(5));
    await due(mid(6));
    // Both are looked up in order: once the follower passed the second, the first was decided.
    await caughtUp();
    expect(got.map((g) => g.header)).toEqual([{ k: 'f', mid: mid(6) }]);
  });
});

describe('live delivery when a read fails', () => {
  it('retries the batch after a failed read, and does not push twice what the batch had already pushed', async () => {
    const store = createMemoryEventStore();
    const bus = createInProcessBus();
    const headers: unknown[] = [];
    bus.subscribe('user', (_key, payload) => headers.push(JSON.parse(payload.slice(0, payload.indexOf('\n')))));
    const commands = createCommands({ store, ids: { randomId: randomUUID } });
    const reads = messageLiveness(commands);
    let failures = 0;
    const warnings: string[] = [];
    const live = await startLive({
      store,
      sink: bus,
      // The first look-up of a due message fails (the log unreachable for a moment).
      reads: {
        ...reads,
        liveMessage: (m) => (failures++ === 0 ? Promise.reject(new Error('log unreachable')) : reads.liveMessage(m)),
      },
      checkpoints: createMemoryCheckpoints(),
      now: () => new Date().toISOString(),
      log: { warn: (_o, m) => warnings.push(m), error: (_o, m) => warnings.push(m) },
    });
    running.push(live);
    const scheduled = new Date('2030-01-02T00:00:00Z');
    await commands.send(ctx('admin', 'r', true), mid(7), asUserId('bob'), { msg: 'due', opts: {}, scheduled });
    // One append, one batch: an immediate message, then the due one whose read fails once.
    const appended = await store.append(
      'live-test',
      [
        {
          type: 'MessagePublished',
          data: {
            mid: mid(8),
            from: 'admin',
            audience: { kind: 'user', uid: 'bob' },
            msg: 'now',
            opts: {},
            urgency: 3,
            at: '2030-01-01T00:00:00.000Z',
          },
          metadata: meta(),
        },
        {
          type: 'MessageDue',
          data: { mid: mid(7), due: scheduled.toISOString() },
          metadata: meta(),
        },
      ],
      'any',
    );
    expect(appended.kind).toBe('appended');
    await live.caughtUp(await store.head(), 10_000);
    expect(failures).toBe(2);
    expect(warnings.some((w) => w.includes('batch failed'))).toBe(true);
    expect(headers).toEqual([
      { k: 'f', mid: mid(8) },
      { k: 'f', mid: mid(7) },
    ]);
  });
});
