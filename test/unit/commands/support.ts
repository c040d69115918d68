import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import { expect } from 'vitest';
import { createMemoryEventStore } from '../../../adapters/eventstore/memory.js';
import type { EventStore, ReadStreamOptions } from '../../../ports/eventstore.js';
import { createCommands } from '../../../commands/index.js';
import type { CommandOptions } from '../../../commands/index.js';
import type { CommandContext } from '../../../commands/types.js';

export const NOW = new Date('2030-01-01T00:00:00.000Z');

export const ctxFor = (
  uid: string,
  o: { admin?: boolean; now?: Date; idempotencyKey?: string } = {},
): CommandContext => ({
  actor: { uid, roles: o.admin === true ? ['admin'] : [] },
  now: o.now ?? NOW,
  correlationId: `corr-${uid}`,
  ...(o.idempotencyKey !== undefined ? { idempotencyKey: o.idempotencyKey } : {}),
});

/** Counts calls to each store method and keeps the options every read was made with. */
export const spy = (store: EventStore) => {
  const calls = { read: 0, append: 0, head: 0 };
  const reads: { stream: string; options: ReadStreamOptions | undefined }[] = [];
  const wrapped: EventStore = {
    ...store,
    read: (stream, options) => {
      calls.read++;
      reads.push({ stream, options });
      return store.read(stream, options);
    },
    append: (stream, events, expected) => {
      calls.append++;
      return store.append(stream, events, expected);
    },
    head: () => {
      calls.head++;
      return store.head();
    },
  };
  return { store: wrapped, calls, reads };
};

export const setup = (overrides: Partial<CommandOptions> = {}) => {
  const memory = createMemoryEventStore();
  const s = spy(memory);
  const commands = createCommands({ store: s.store, ids: { randomId: randomUUID }, ...overrides });
  return { memory, commands, calls: s.calls, reads: s.reads };
};

export const streamTypes = async (store: EventStore, stream: string): Promise<string[]> =>
  (await store.read(stream)).map((e) => e.type);

export const rightOf = <L, R>(result: Either<L, R>): R => {
  if (E.isLeft(result)) throw new Error(`expected success, got ${JSON.stringify(result.left)}`);
  return result.right;
};

export const expectError = (result: Either<unknown, unknown>, kind: string, code: string): void => {
  expect(result).toMatchObject(E.left({ kind, code }));
};
