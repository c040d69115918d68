import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../../../adapters/eventstore/memory.js';
import { messages } from '../../../commands/aggregates.js';
import type { Aggregate } from '../../../commands/aggregates.js';
import { handle } from '../../../commands/handler.js';
import { createLru } from '../../../commands/lru.js';
import type { CachedSnapshot } from '../../../commands/stream-state.js';
import type { MessageCommand } from '../../../domain/message.js';
import type { MessageState } from '../../../domain/message-state.js';
import type { MessageEvent } from '../../../schema/events.js';
import { asMessageId, asUserId } from '../../../schema/ids.js';
import { ctxFor, expectError } from './support.js';

// The handler's last line of write/read symmetry: an event its aggregate's codec would refuse
// on read is never appended; the caller gets a 400 naming the field instead of a 2xx for an
// event every projection would skip. (Deciders never emit one; this one is made to.)
const drifting: Aggregate<MessageCommand, MessageEvent, MessageState> = {
  ...messages,
  decide: () =>
    E.right([
      {
        type: 'MessagePublished',
        data: {
          mid: asMessageId('m-1'),
          from: asUserId('ann'),
          audience: { kind: 'everyone' },
          msg: 'hi',
          opts: {},
          urgency: 3,
          at: '2030-01-01T00:00:00.000Z',
          scheduled: '+275760-09-13T00:00:00.000Z',
        },
      },
    ]),
};

describe('the append guard', () => {
  it('Given a decider that emits an unreadable date, When handled, Then EventIsOutOfBounds names the field and nothing is appended', async () => {
    const store = createMemoryEventStore();
    const env = { cache: createLru<string, CachedSnapshot>(10), newId: randomUUID };
    const command: MessageCommand = {
      type: 'Retract',
      mid: asMessageId('m-1'),
      caller: { uid: asUserId('ann'), admin: true },
      managesThread: false,
    };
    const result = await handle(store, 'message-m-1', drifting, command, ctxFor('ann'), env);
    expectError(result, 'invalid', 'EventIsOutOfBounds');
    expect(E.isLeft(result) && result.left.msg).toMatch(/^MessagePublished: data\.scheduled: /);
    expect(await store.head()).toBe(0);
  });
});
