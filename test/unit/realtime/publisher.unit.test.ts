import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createInProcessBus } from '../../../adapters/bus/in-process.js';
import type { TopicKind } from '../../../ports/bus.js';
import { createMemoryEventStore } from '../../../adapters/eventstore/memory.js';
import { observed } from '../../../adapters/eventstore/observed.js';
import { fixedClock } from '../../../adapters/clock/clock.js';
import { messageLiveness } from '../../../api/ws/liveness.js';
import { createPublisher } from '../../../api/ws/publisher.js';
import { reactorAppend } from '../../../delivery/append.js';
import { triageStream } from '../../../domain/triage/keys.js';
import { createCommands } from '../../../commands/index.js';
import type { CommandContext } from '../../../commands/types.js';
import { asMessageId, asThreadId, asUserId } from '../../../schema/ids.js';

// The live publisher on the real command side over an observed in-memory log: each decision
// becomes the bus publication the fan-out expects, right after its append.
const setup = () => {
  const store = observed(createMemoryEventStore());
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
  store.onAppended(
    createPublisher({
      bus,
      onError: (e) => {
        throw e;
      },
      ...messageLiveness(commands),
    }),
  );
  return { store, got, commands };
};
const until = async (ok: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
};
const ctx = (uid: string, correlationId = `req-${uid}`, admin = false): CommandContext => ({
  actor: { uid, roles: admin ? ['admin'] : [] },
  now: new Date('2030-01-01T00:00:00Z'),
  correlationId,
});
const mid = (n: number): ReturnType<typeof asMessageId> => asMessageId(`0190a5d0-0000-7000-8000-00000000000${n}`);

describe('live publisher', () => {
  it('publishes messages to their audience subject with the frame clients receive', async () => {
    const { commands, got } = setup();
    await commands.send(ctx('admin', 'r1', true), mid(1), asUserId('bob'), { msg: 'hi', opts: {} });
    await commands.multicast(ctx('admin', 'r2', true), mid(2), [asUserId('a'), asUserId('b')], {
      msg: 'all',
      opts: {},
    });
    await commands.broadcast(ctx('admin', 'r3', true), mid(3), { msg: 'every', opts: {} });
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
    const { commands, got } = setup();
    await commands.createThread(ctx('olga'), { tid: asThreadId('room'), opens: true });
    got.length = 0;
    await commands.subscribe(ctx('hank', 'ws:sid-1:4'), asThreadId('room'));
    await commands.acknowledge(ctx('hank', 'ws:sid-1:5'), [mid(1)], 'seen');
    await commands.acknowledge(ctx('hank', 'http-req'), [mid(1)], 'delivered');
    await commands.markRead(ctx('hank', 'http-req2'), mid(1), asThreadId('room'));
    await commands.deleteFromInbox(ctx('hank', 'ws:sid-2:1'), [mid(1)]);
    await commands.unsubscribe(ctx('hank', 'http-req3'), asThreadId('room'));
    expect(got.map((g) => [g.kind, g.key, g.header, g.frame])).toEqual([
      ['user', 'hank', { k: 'join', tid: 'room', origin: 'sid-1' }, undefined],
      ['user', 'hank', { k: 'f', origin: 'sid-1' }, { type: 'seen', mids: [mid(1)] }],
      ['user', 'hank', { k: 'f' }, { type: 'read', mid: mid(1), tid: 'room' }],
      ['user', 'hank', { k: 'f', origin: 'sid-2' }, { type: 'deleted', mids: [mid(1)] }],
      ['user', 'hank', { k: 'leave', tid: 'room' }, undefined],
    ]);
  });

  it('holds back a scheduled message until the scheduler records it due, then publishes it once', async () => {
    const { store, commands, got } = setup();
    const scheduled = new Date('2030-01-02T00:00:00Z');
    await commands.send(ctx('admin', 'r', true), mid(4), asUserId('bob'), { msg: 'later', opts: {}, scheduled });
    expect(got).toEqual([]);
    await reactorAppend(store, fixedClock(scheduled))(
      triageStream(mid(4)),
      [{ type: 'MessageDue', data: { mid: mid(4), due: scheduled.toISOString() } }],
      -1,
      { correlationId: 'r', causationId: 'r' },
    );
    await until(() => got.length > 0);
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
    const { store, commands, got } = setup();
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
    // Both are looked up in order: once the second is out, the first was decided.
    await until(() => got.length > 0);
    expect(got.map((g) => g.header)).toEqual([{ k: 'f', mid: mid(6) }]);
  });
});
