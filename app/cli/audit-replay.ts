import { join, resolve } from 'node:path';
import type { Projection } from '../../follower/projection.js';
import type { EventStore } from '../../ports/eventstore.js';
import type { ReadModels } from '../../ports/read-models.js';
import { openEmbeddedReadStore } from '../read-stores.js';
import { progressLine } from './progress.js';
import { makeDirs } from '../../adapters/sqlite/dir.js';

// `msgxc audit replay --at TIME (--dir DIR | --keyspace NAME) [--inbox UID | --thread TID]`:
// the read models as they were at TIME, built into DIR/read.db or a Cassandra keyspace
// (audit-replay-cassandra.ts; never the broker's own), and an inbox or a thread answered from them. "As they were" is a prefix of the log, a state the read models
// really passed through: the shortest one holding every event that occurred by TIME. Times are
// not in log order (a command is stamped when it arrives, a reactor's event when it is
// decided, nodes' clocks differ), so the log is read until events are SKEW past TIME.
const SKEW_MS = 5 * 60_000;

/** The position of the last event that occurred by `at`. */
const cutAt = async (store: Pick<EventStore, 'readAll'>, at: string): Promise<number> => {
  const beyond = new Date(Date.parse(at) + SKEW_MS).toISOString();
  let cut = 0;
  let after = 0;
  for (;;) {
    const page = await store.readAll({ after, limit: 1000 });
    for (const e of page) {
      if (e.metadata.occurredAt > beyond) return cut;
      if (e.metadata.occurredAt <= at) cut = e.position;
      after = e.position;
    }
    if (page.length < 1000) return cut;
  }
};

/** The log up to `upTo`, read-only: what the projections' follower reads and catches up on. */
const prefix = (store: EventStore, upTo: number): EventStore => {
  const readAll: EventStore['readAll'] = async (options) =>
    (options.after ?? 0) >= upTo ? [] : (await store.readAll(options)).filter((e) => e.position <= upTo);
  return {
    append: () => Promise.reject(new Error('a replay does not write to the log')),
    read: async (stream, options) => (await store.read(stream, options)).filter((e) => e.position <= upTo),
    readAll,
    // Catches up to the end of the prefix, then has nothing more to deliver.
    subscribeAll: (after, handler, onError) => {
      let closed = false;
      const run = async (): Promise<void> => {
        for (let position = after; !closed; ) {
          const page = await readAll({ after: position, limit: 1000 });
          const last = page[page.length - 1];
          if (last === undefined) return;
          await handler(page);
          position = last.position;
        }
      };
      run().catch((e: unknown) => onError?.(e));
      return {
        close: () => {
          closed = true;
          return Promise.resolve();
        },
      };
    },
    head: () => Promise.resolve(upTo),
    close: () => Promise.resolve(),
  };
};

export interface ReplayQuery {
  readonly at: string;
  readonly inbox?: string;
  readonly thread?: string;
  readonly limit: number;
}

/** Read models opened on a replay's own storage, fed from the log's prefix. */
export interface ReplayModels {
  readonly runner: Pick<Projection<unknown>, 'ready' | 'rebuild'>;
  readonly models: ReadModels;
  /** Where they were built (`dir`, or `keyspace` and its live generation's). */
  readonly where: () => Readonly<Record<string, string>>;
  /** Called once they are built (a Cassandra replay records when and what into its keyspace). */
  readonly built?: (upTo: number, replayed: number) => Promise<void>;
  close(): Promise<void>;
}

export type OpenReplayModels = (prefix: EventStore) => Promise<ReplayModels>;

/** SQLite read models in `DIR/read.db` (never the data directory, which it refuses). */
export const embeddedReplay =
  (dataDir: string, dir: string): OpenReplayModels =>
  (log) => {
    if (resolve(dir) === resolve(dataDir))
      return Promise.reject(new Error('--dir must not be the data directory: a replay would replace its read models'));
    makeDirs(dir);
    const read = openEmbeddedReadStore({ file: join(dir, 'read.db'), store: log });
    return Promise.resolve({
      runner: read.runner,
      models: read.models,
      where: () => ({ dir }),
      close: () => read.close(),
    });
  };

export const replay = async (store: EventStore, q: ReplayQuery, open: OpenReplayModels): Promise<unknown> => {
  const upTo = await cutAt(store, q.at);
  const read = await open(prefix(store, upTo));
  try {
    const progress = progressLine(process.stderr, 'positions');
    await read.runner.ready();
    // An event the read models cannot decode is a dead letter here as in the broker: skipped, counted.
    const { replayed } = await read.runner.rebuild(
      (position, head) => {
        progress.draw(position, head, position);
      },
      { allowSkips: true },
    );
    progress.draw(upTo, upTo, upTo, true);
    await read.built?.(upTo, replayed);
    const now = new Date(q.at);
    const answer =
      q.inbox !== undefined
        ? { inbox: await read.models.inbox(q.inbox, { limit: q.limit }, now) }
        : q.thread !== undefined
          ? {
              thread: (await read.models.thread(q.thread)) ?? null,
              messages: await read.models.threadMessages(q.thread, { limit: q.limit }, now),
            }
          : {};
    return { at: q.at, upTo, replayed, ...read.where(), ...answer };
  } finally {
    await read.close();
  }
};
