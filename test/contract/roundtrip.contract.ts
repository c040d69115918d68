import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import type * as t from 'io-ts';
import { describe, expect, it } from 'vitest';
import type { EventStore, RecordedEvent } from '../../ports/eventstore.js';
import { DomainEvent } from '../../schema/events.js';
import { EventMetadata } from '../../schema/metadata.js';
import { arbitraryOf } from './arbitraries.js';
import type { EventStoreFactory } from './eventstore.contract.js';

// Write/read symmetry (issue 9, finding 4), per log engine: every value an event codec accepts
// is appended, read back by stream and from the global log, and decodes to the same event with
// the same metadata. The arbitraries come from the codecs themselves, for every member of
// DomainEvent, so a new event type is covered the day it is added to the union.
export const EVENT_TYPES = DomainEvent.types.map((c) => c.name);

const right = <A>(codec: t.Decoder<unknown, A>, value: unknown, what: string): A => {
  const decoded = codec.decode(value);
  if (E.isLeft(decoded))
    throw new Error(
      `${what} does not decode: ${JSON.stringify(decoded.left.map((e) => e.context.map((c) => c.key).join('.')))}`,
    );
  return decoded.right;
};

/** What a projection sees of a recorded event: its decoded event and metadata. */
export const readBack = (r: RecordedEvent | undefined): { event: DomainEvent; metadata: EventMetadata } => {
  if (r === undefined) throw new Error('the event was not read back');
  return {
    event: right(DomainEvent, { type: r.type, data: r.data }, `stored ${r.type}`),
    metadata: right(EventMetadata, r.metadata, 'stored metadata'),
  };
};

export const roundTripContract = (
  name: string,
  factory: EventStoreFactory,
  options: { numRuns: number } = { numRuns: 25 },
) =>
  describe(`stored events round-trip: ${name}`, () => {
    const metadata = arbitraryOf(EventMetadata);

    it.each(DomainEvent.types.map((codec) => [codec.name, codec] as const))(
      '%s: every value its codec accepts is read back unchanged',
      async (_type, codec) => {
        const { store, cleanup } = await factory();
        try {
          await fc.assert(
            fc.asyncProperty(arbitraryOf(codec), metadata, async (candidate, meta) => {
              // What a decider holds after decoding: the codec's output is the stored form.
              const event = right(DomainEvent, candidate, 'the generated event');
              const m = right(EventMetadata, meta, 'the generated metadata');
              await roundTrip(store, event, m);
            }),
            { numRuns: options.numRuns },
          );
        } finally {
          await cleanup();
        }
      },
    );
  });

const roundTrip = async (store: EventStore, event: DomainEvent, metadata: EventMetadata): Promise<void> => {
  const stream = `rt-${randomUUID()}`;
  const appended = await store.append(stream, [{ type: event.type, data: event.data, metadata }], 'no_stream');
  if (appended.kind !== 'appended') throw new Error(`append refused: ${JSON.stringify(appended)}`);
  const [byStream] = await store.read(stream);
  const [fromLog] = await store.readAll({ after: appended.position - 1, limit: 1 });
  for (const r of [byStream, fromLog]) {
    const back = readBack(r);
    expect(back.event).toEqual(event);
    expect(back.metadata).toEqual(metadata);
  }
};
