import { isRight } from 'fp-ts/lib/Either.js';
import type { AppendResult, EventStore, EventToAppend, ExpectedRevision } from '../../ports/eventstore.js';
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

export const writeCheckpoint = async (store: EventStore, append: Append, now: Date): Promise<boolean> => {
  const [last] = (await store.read(CHECKPOINT_STREAM)).slice(-1);
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
    const page = await store.readAll({ after: upTo, limit: PAGE });
    for (const e of page) {
      if (e.position > head) break;
      hasher.add(checkpointLine(e));
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
  return result.kind === 'appended';
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
  const run = (now: Date): Promise<void> => {
    running ??= writeCheckpoint(store, append, now)
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
