import { subscriptionHub } from './catch-up.js';
import type { AppendResult, EventLink, EventStore, LinkReader, RecordedEvent } from '../../ports/eventstore.js';
import { isUnreadableEvent } from '../../schema/unreadable-event.js';
import { createGroupCommitQueue } from './sqlite-group-commit.js';
import type { CommitStats } from './sqlite-group-commit.js';
import { EVENT_COLUMNS, openReader, openWriter, toRecordedEvent } from './sqlite-tables.js';
import type { EventRow } from './sqlite-tables.js';
import { createBatchCommitter, serializeEvents } from './sqlite-writer.js';
import { createWorkerGroupCommitQueue } from './sqlite-worker-queue.js';
import { recentRows } from './sqlite-recent.js';

export interface SqliteEventStoreOptions {
  readonly file: string;
  /** Most appends per transaction. 1 means one transaction per append (benchmark baseline). */
  readonly maxBatch?: number;
  /** Commit in a worker thread, pipelined (the server's choice; see sqlite-worker-queue.ts). */
  readonly writerThread?: boolean;
}

export interface SqliteEventStore extends EventStore, LinkReader {
  stats(): CommitStats;
  /** Called after each commit, in this thread. */
  onCommit(listener: () => void): () => void;
  /**
   * One Int32 that counts commits, bumped and notified by the thread that committed (the writer
   * thread, or this one with the inline writer): readers of the same file in other threads wait
   * on it (Atomics.waitAsync) and are woken without a message from this thread.
   */
  readonly commitSignal: SharedArrayBuffer;
}

/** Rows kept of what this process committed last: a few pages of every follower at the head. */
const RECENT_ROWS = 4096;

// The link hash an event's metadata text stores, when it is a string (checkpoint.ts reads any
// other event whole, so a line is always the one checkpointLine would give).
const linkHashOf = (metadata: string): string | undefined => {
  let m: unknown;
  try {
    m = JSON.parse(metadata);
  } catch {
    return undefined;
  }
  const chain = typeof m === 'object' && m !== null ? (m as { chain?: unknown }).chain : undefined;
  const hash = typeof chain === 'object' && chain !== null ? (chain as { hash?: unknown }).hash : undefined;
  return typeof hash === 'string' ? hash : undefined;
};

// The same of an event's parsed metadata: its text parsed as above, once for every reader of the
// event (the followers take its metadata too); text that is not JSON is no hash, as above.
const eventLinkHash = (e: RecordedEvent): string | undefined => {
  let m: unknown;
  try {
    m = e.metadata;
  } catch (err) {
    if (isUnreadableEvent(err)) return undefined;
    throw err;
  }
  const chain = typeof m === 'object' && m !== null ? (m as { chain?: unknown }).chain : undefined;
  const hash = typeof chain === 'object' && chain !== null ? (chain as { hash?: unknown }).hash : undefined;
  return typeof hash === 'string' ? hash : undefined;
};
const HASH_OF = { text: linkHashOf, event: eventLinkHash };

// A synchronous call's throw becomes a rejection, as callers of a port expect.
const settled = <T>(f: () => T | PromiseLike<T>): Promise<T> =>
  new Promise<T>((resolve) => {
    resolve(f());
  });

// The embedded, durable event log: one SQLite file in WAL mode. One process owns the file;
// appends are group-committed (see sqlite-group-commit.ts) and resolve only after the
// transaction holding them is fsynced.
export const createSqliteEventStore = (options: SqliteEventStoreOptions): SqliteEventStore => {
  const writer = openWriter(options.file);
  const reader = openReader(options.file);
  // What this process committed last, for its followers' next page (sqlite-recent.ts).
  const recent = recentRows(RECENT_ROWS);
  const commitSignal = new SharedArrayBuffer(4);
  const signal = new Int32Array(commitSignal);
  // Subscriptions read through the store defined below (by the time anything subscribes); every
  // commit, by either writer, wakes them (onCommitted), so they may share their reads. Their
  // page after a commit is the rows just committed (sqlite-recent.ts); other readers (an
  // auditor's verify above all) read the file as it is.
  const hub = subscriptionHub(
    {
      readAll: (opts) => {
        const after = opts.after ?? 0;
        const events = recent.page(after, opts.limit);
        if (events !== undefined) return Promise.resolve(events);
        // A follower at the head, having read the commit's page, asks once more and is told
        // "nothing yet" here: that read of the file was most of its reads (each a fresh read
        // transaction after the writer's commit, ~0.5 ms on the main thread; issue 15). Every
        // commit to the file is this process's (one process owns it) and wakes the followers,
        // so they ask again then; a row another connection wrote is read at the next commit.
        // Nothing is skipped: the next page starts right after `after` as before.
        return recent.atHead(after) ? Promise.resolve([]) : store.readAll(opts);
      },
    },
    { shareReads: true },
  );
  const onCommitted = hub.wake;
  const maxBatch = options.maxBatch ?? 1024;
  // With a writer thread this connection only created the schema; the thread writes.
  if (options.writerThread === true) writer.close();
  const onAppended = recent.committed.bind(recent);
  const threaded =
    options.writerThread === true
      ? createWorkerGroupCommitQueue(options.file, { maxBatch, onCommitted, commitSignal, onAppended })
      : undefined;
  const queueOptions = {
    maxBatch,
    onAppended,
    onCommitted: () => {
      Atomics.add(signal, 0, 1);
      Atomics.notify(signal, 0);
      onCommitted();
    },
  };
  const queue = threaded ?? createGroupCommitQueue(createBatchCommitter(writer), queueOptions);

  const readStream = reader.prepare<[string, number, number], EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`,
  );
  const readAll = reader.prepare<[number, number], EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
  );
  const head = reader.prepare<[], number>('SELECT coalesce(max(position), 0) FROM events').pluck();
  const linkRows = reader
    .prepare<[number, number], [number, string]>(
      'SELECT position, metadata FROM events WHERE position > ? ORDER BY position LIMIT ?',
    )
    .raw();

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    await queue.drained();
    await hub.closeAll();
    reader.close();
    if (threaded) await threaded.close();
    else writer.close();
  };

  const store: SqliteEventStore = {
    append: (stream, events, expected) => {
      if (closing) return Promise.reject(new Error('event store is closed'));
      // Enqueued synchronously, so a close() called right after still waits for this append.
      return settled<AppendResult>(() => queue.enqueue({ stream, expected, events: serializeEvents(events) }));
    },
    read: (stream, opts = {}) =>
      settled(() => readStream.all(stream, opts.fromRevision ?? 0, opts.limit ?? -1).map(toRecordedEvent)),
    readAll: (opts) => settled(() => readAll.all(opts.after ?? 0, opts.limit).map(toRecordedEvent)),
    subscribeAll: (after, handler, onError) => hub.subscribeAll(after, handler, onError),
    head: () => settled(() => head.get() ?? 0),
    links: (after, limit) =>
      settled(() => {
        // The audit checkpoint's links (every 1,000 events) cover what this process has just
        // committed: taken from the rows it keeps, when they run to the limit or to the file's
        // head (a commit of the writer thread not yet answered here is in the file, not kept).
        const kept = recent.links(after, limit, HASH_OF);
        const last = kept?.[kept.length - 1];
        if (kept !== undefined && (kept.length === limit || (last?.position ?? after) === head.get())) return kept;
        return linkRows
          .all(after, limit)
          .map(([position, metadata]): EventLink => ({ position, hash: linkHashOf(metadata) }));
      }),
    close: () => (closing ??= close()),
    stats: () => queue.stats(),
    commitSignal,
    onCommit: hub.onCommit,
  };
  return store;
};
