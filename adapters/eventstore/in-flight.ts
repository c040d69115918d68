import type { EventStore } from '../../ports/eventstore.js';

// Counts the appends handed to a store and not yet answered, whatever the engine: on the
// embedded log those wait in the group-commit queue or are being committed
// (sqlite-group-commit.ts, sqlite-worker-queue.ts); on JetStream they are publishes waiting for
// their acknowledgement; on EventStoreDB, requests in flight. A log that falls behind shows
// here first, before memory grows, so the node can refuse new commands (api/shedding.ts).
export interface CountedEventStore extends EventStore {
  appendsInFlight(): number;
  /** The most appends that were in flight at once since the store was opened. */
  peakAppendsInFlight(): number;
}

export const countingAppends = (store: EventStore): CountedEventStore => {
  let inFlight = 0;
  let peak = 0;
  return {
    append: async (stream, events, expected) => {
      inFlight += 1;
      if (inFlight > peak) peak = inFlight;
      try {
        return await store.append(stream, events, expected);
      } finally {
        inFlight -= 1;
      }
    },
    read: (stream, options) => store.read(stream, options),
    readAll: (options) => store.readAll(options),
    subscribeAll: (after, handler, onError) => store.subscribeAll(after, handler, onError),
    head: () => store.head(),
    close: () => store.close(),
    appendsInFlight: () => inFlight,
    peakAppendsInFlight: () => peak,
  };
};
