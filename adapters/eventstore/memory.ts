import { catchUpSubscription } from './catch-up.js';
import { revisionMatches } from './revision.js';
import type {
  AppendResult,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
} from '../../ports/eventstore.js';

// In-memory log for unit tests and benchmarks' baselines. Same contract as the durable stores.
export const createMemoryEventStore = (): EventStore => {
  const all: RecordedEvent[] = [];
  const byStream = new Map<string, RecordedEvent[]>();
  const listeners = new Set<() => void>();

  const append = (
    stream: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> => {
    const existing = byStream.get(stream) ?? [];
    const actual = existing.length - 1;
    if (!revisionMatches(expected, actual)) {
      return Promise.resolve({ kind: 'wrong_expected_revision', stream, expected, actual });
    }
    if (events.length === 0) return Promise.resolve({ kind: 'appended', nextRevision: actual, position: all.length });
    for (const e of events) {
      const recorded: RecordedEvent = {
        stream,
        revision: existing.length,
        position: all.length + 1,
        type: e.type,
        data: structuredClone(e.data),
        metadata: structuredClone(e.metadata),
      };
      existing.push(recorded);
      all.push(recorded);
    }
    byStream.set(stream, existing);
    for (const l of listeners) queueMicrotask(l);
    return Promise.resolve({ kind: 'appended', nextRevision: existing.length - 1, position: all.length });
  };

  const read = (stream: string, options: ReadStreamOptions = {}): Promise<readonly RecordedEvent[]> => {
    const from = options.fromRevision ?? 0;
    const events = byStream.get(stream) ?? [];
    return Promise.resolve(events.slice(from, options.limit === undefined ? undefined : from + options.limit));
  };

  // Positions are 1-based and dense here, so position p sits at index p-1.
  const readAll = (options: ReadAllOptions): Promise<readonly RecordedEvent[]> => {
    const after = options.after ?? 0;
    return Promise.resolve(all.slice(after, after + options.limit));
  };

  const store: EventStore = {
    append,
    read,
    readAll,
    subscribeAll: (after, handler, onError) =>
      catchUpSubscription(
        store,
        (wake) => {
          listeners.add(wake);
          return () => listeners.delete(wake);
        },
        after,
        handler,
        onError,
      ),
    head: () => Promise.resolve(all.length),
    close: () => {
      listeners.clear();
      return Promise.resolve();
    },
  };
  return store;
};
