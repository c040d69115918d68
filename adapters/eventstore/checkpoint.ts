import { isRight } from 'fp-ts/lib/Either.js';
import type {
  AppendResult,
  RecordedEvent,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  LinkReader,
} from '../../ports/eventstore.js';
import { CHECKPOINT_STREAM, CHECKPOINT_TYPE, GENESIS, LogCheckpointed } from '../../schema/audit.js';
import { checkpointHasher, checkpointLine } from './chain.js';

// Checkpoints over the global order (docs/audit.md): the per-stream links cannot see an
// event removed from the end of its stream, or events of two streams swapped in the log;
// a checkpoint hashes every event's position and link, in log order, up to a position,
// chained to the previous checkpoint. A node writes one after it has appended `every`
// events since its last, in the background; nodes racing for the same one are settled by
// the checkpoint stream's expected revision (the loser's is dropped: the winner's covers it).

export interface CheckpointOptions {
  /** Events this node appends between checkpoints. */
  readonly every: number;
  readonly now: () => Date;
  /** A failed checkpoint is reported, not thrown: the next one covers its events. */
  readonly onError?: (e: unknown) => void;
}

type Append = (stream: string, events: readonly EventToAppend[], expected: ExpectedRevision) => Promise<AppendResult>;

const PAGE = 1000;

const readsLinks = (store: EventStore): store is EventStore & LinkReader =>
  typeof (store as Partial<LinkReader>).links === 'function';

/** One event of a page: its position, and its checkpoint line when asked (after the head check). */
interface Line {
  readonly position: number;
  readonly line: () => string | Promise<string>;
}

const eventAt = async (store: EventStore, position: number): Promise<RecordedEvent> => {
  const [e] = await store.readAll({ after: position - 1, limit: 1 });
  if (e?.position !== position) throw new Error(`the event at position ${String(position)} is gone`);
  return e;
};

// The engine's links where it offers them (SQLite: position and metadata, not the data, and no
// event object per row): reading every event whole, each checkpoint, was ~3 % of the main
// thread under sends (issue 15). An event whose link has no hash is read whole, so each line is
// the one checkpointLine gives.
const pageAfter = async (store: EventStore, after: number): Promise<readonly Line[]> => {
  if (!readsLinks(store))
    return (await store.readAll({ after, limit: PAGE })).map((e) => ({
      position: e.position,
      line: () => checkpointLine(e),
    }));
  return (await store.links(after, PAGE)).map(({ position, hash }) => ({
    position,
    line:
      hash !== undefined
        ? () => `${String(position)} ${hash}\n`
        : async () => checkpointLine(await eventAt(store, position)),
  }));
};

/**
 * `known`: the revision of the last checkpoint seen, read on from there (and updated): the
 * checkpoint stream is read from its start only the first time, not every 1000 events as it grows.
 */
export const writeCheckpoint = async (
  store: EventStore,
  append: Append,
  now: Date,
  known?: { revision: number },
): Promise<boolean> => {
  const from = known?.revision ?? 0;
  let found = await store.read(CHECKPOINT_STREAM, { fromRevision: from });
  if (found.length === 0 && from > 0) found = await store.read(CHECKPOINT_STREAM);
  const [last] = found.slice(-1);
  if (known !== undefined && last !== undefined) known.revision = last.revision;
  const previous = last !== undefined ? LogCheckpointed.decode(last.data) : undefined;
  if (previous !== undefined && !isRight(previous))
    throw new Error(`the checkpoint at position ${String(last?.position)} is not a checkpoint`);
  const after = previous?.right.upTo ?? 0;
  const prev = previous?.right.hash ?? GENESIS;
  const head = await store.head();
  if (head <= after) return false;
  const hasher = checkpointHasher(prev);
  let upTo = after;
  for (;;) {
    const page = await pageAfter(store, upTo);
    for (const e of page) {
      if (e.position > head) break;
      const line = e.line();
      hasher.add(typeof line === 'string' ? line : await line);
      upTo = e.position;
    }
    const tail = page[page.length - 1];
    if (page.length < PAGE || tail === undefined || tail.position >= head) break;
  }
  if (hasher.events() === 0) return false;
  const revision = last?.revision ?? -1;
  const data: LogCheckpointed = { after, upTo, events: hasher.events(), prev, hash: hasher.digest() };
  const id = `${CHECKPOINT_STREAM}@${String(revision + 1)}`;
  const at = now.toISOString();
  const metadata = {
    eventId: id,
    occurredAt: at,
    actor: { uid: 'msgxc', roles: ['system'] },
    correlationId: id,
    causationId: id,
  };
  const result = await append(
    CHECKPOINT_STREAM,
    [{ type: CHECKPOINT_TYPE, data, metadata }],
    revision === -1 ? 'no_stream' : revision,
  );
  if (result.kind !== 'appended') return false;
  if (known !== undefined) known.revision = revision + 1;
  return true;
};

export interface Checkpointer {
  appended(events: number): void;
  now(): Promise<void>;
  close(): Promise<void>;
}

export const createCheckpointer = (store: EventStore, append: Append, options?: CheckpointOptions): Checkpointer => {
  let since = 0;
  let running: Promise<void> | undefined;
  let closed = false;
  const known = { revision: 0 };
  const run = (now: Date): Promise<void> => {
    running ??= writeCheckpoint(store, append, now, known)
      .then(() => undefined)
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  return {
    appended: (events) => {
      if (options === undefined || options.every <= 0 || closed) return;
      since += events;
      if (since < options.every || running !== undefined) return;
      since = 0;
      run(options.now()).catch((e: unknown) => options.onError?.(e));
    },
    now: () => run(options?.now() ?? new Date()),
    close: async () => {
      closed = true;
      await running?.catch(() => undefined);
    },
  };
};
