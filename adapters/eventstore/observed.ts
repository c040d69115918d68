import type {
  AppendListener,
  AppendResult,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  ObservedEventStore,
  RecordedEvent,
} from '../../ports/eventstore.js';

// A decorator that tells in-process listeners about every event this node appended, right
// after the store reported it durable. The realtime publisher uses it to reach connected
// clients without waiting for a subscription poll of the log; what it misses (a crash between
// the append and the publish, events appended by other nodes) clients recover by resuming
// from the log, which stays the source of truth.

// Positions within one append are consecutive in every store here (SQLite and memory write
// an append in one transaction; JetStream stores it as one message whose events take
// seq * slots + index): the last is `result.position`, the others count back from it.
const recorded = (
  stream: string,
  events: readonly EventToAppend[],
  result: Extract<AppendResult, { kind: 'appended' }>,
): RecordedEvent[] =>
  events.map((e, i) => ({
    stream,
    revision: result.nextRevision - (events.length - 1 - i),
    position: result.position - (events.length - 1 - i),
    type: e.type,
    data: e.data,
    metadata: e.metadata,
  }));

export const observed = (
  store: EventStore,
  onListenerError: (e: unknown) => void = () => undefined,
): ObservedEventStore => {
  const listeners = new Set<AppendListener>();
  const append = async (
    stream: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> => {
    const result = await store.append(stream, events, expected);
    if (result.kind === 'appended' && events.length > 0 && listeners.size > 0) {
      const values = recorded(stream, events, result);
      for (const l of listeners) {
        try {
          l(values);
        } catch (e) {
          onListenerError(e);
        }
      }
    }
    return result;
  };
  return {
    append,
    read: (stream, options) => store.read(stream, options),
    readAll: (options) => store.readAll(options),
    subscribeAll: (after, handler, onError) => store.subscribeAll(after, handler, onError),
    head: () => store.head(),
    close: () => {
      listeners.clear();
      return store.close();
    },
    onAppended: (listener) => {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
};
