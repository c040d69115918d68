import { catchUpSubscription, sharedReads } from '../adapters/eventstore/catch-up.js';
import { sealed } from '../adapters/eventstore/sealed.js';
import { sealedShareReader } from '../adapters/eventstore/sealed-share.js';
import { createSqliteEventStore } from '../adapters/eventstore/sqlite.js';
import { waitAsync } from '../adapters/eventstore/sqlite-handoff.js';
import { createSqliteKeyStore } from '../adapters/keystore/sqlite.js';
import type { EventStore, RecordedEvent } from '../ports/eventstore.js';
import type { KeyStore, PersonalData } from '../ports/keystore.js';

// The embedded log as a worker thread reads it (the projection workers, app/projection-worker/,
// and the delivery reactors' worker, app/reactors-thread/). The main thread owns the log's
// writer; a worker only reads the same file, and is woken by the log's commit counter (bumped by
// the thread that committed) instead of by its own appends. Commits that land while the
// followers read are one more wake, not one each. Sealed fields are opened with the same key
// store as the main thread's (a second connection to its file).
export interface WorkerLogOptions {
  readonly eventsFile: string;
  /** The data keys' file; undefined: keys are elsewhere, sealed fields read as redacted. */
  readonly keysFile: string | undefined;
  /** The log's commit counter (SqliteEventStore.commitSignal). */
  readonly commitSignal: SharedArrayBuffer;
  /** The main thread's sealed fields (adapters/eventstore/sealed-share.ts): opened without deciphering. */
  readonly sealedShare?: SharedArrayBuffer;
  /** After a subscriber handled a batch (the projection worker reports its position). */
  readonly onHandled?: (events: readonly RecordedEvent[]) => void;
}

// Without a key file (keys in Cassandra) nothing opens here: the engines never start a worker then.
const noKeys: KeyStore = {
  keyFor: () => Promise.reject(new Error('a worker thread does not seal')),
  find: () => Promise.resolve(undefined),
  destroy: () => Promise.resolve(0),
  close: () => Promise.resolve(),
};

export const openWorkerLog = (
  options: WorkerLogOptions,
): {
  readonly store: EventStore;
  readonly personal: PersonalData;
  /** The log as stored (personal fields sealed): what the audit routes read. */
  readonly stored: EventStore;
  close(): Promise<void>;
} => {
  const stored = createSqliteEventStore({ file: options.eventsFile });
  const log = sealed(
    stored,
    options.keysFile === undefined ? noKeys : createSqliteKeyStore(options.keysFile),
    options.sealedShare === undefined ? undefined : sealedShareReader(options.sealedShare),
  );
  // The followers of this thread read each new page once between them (forgotten at every commit).
  const shared = sharedReads(log);
  const wakers = new Set<() => void>();
  const commits = new Int32Array(options.commitSignal);
  let closed = false;
  const watchCommits = (seen: number): void => {
    const waited = waitAsync(commits, 0, seen);
    void (waited.async ? waited.value : Promise.resolve()).then(() => {
      if (closed) return;
      const now = Atomics.load(commits, 0);
      shared.forget();
      for (const wake of wakers) wake();
      watchCommits(now);
    });
  };
  watchCommits(Atomics.load(commits, 0));
  const store: EventStore = {
    ...log,
    subscribeAll: (after, handler, onError) =>
      catchUpSubscription(
        shared,
        (wake) => {
          wakers.add(wake);
          return () => wakers.delete(wake);
        },
        after,
        async (events) => {
          await handler(events);
          options.onHandled?.(events);
        },
        onError,
      ),
  };
  return {
    store,
    personal: log,
    stored,
    close: async () => {
      closed = true;
      await log.close();
    },
  };
};
