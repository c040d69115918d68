import type { MessagePort } from 'node:worker_threads';
import type { AppendResult, EventStore, EventToAppend, ExpectedRevision } from '../../ports/eventstore.js';

// Appends from a worker thread to the ONE writer of a log, in the thread that owns it (the
// embedded SQLite log caches stream revisions in its writer: a second writer would break its
// expected-revision checks). The worker reads the log's file itself; only appends cross. Each
// answer is the owner's AppendResult, a wrong expected revision included, or its error's text.
interface AppendRequest {
  readonly id: number;
  readonly stream: string;
  readonly events: readonly EventToAppend[];
  readonly expected: ExpectedRevision;
}

type AppendAnswer =
  | { readonly id: number; readonly result: AppendResult }
  | { readonly id: number; readonly error: string };

/** The owner's end: appends what arrives on `port` to `store`, in arrival order, and answers each. */
export const serveAppends = (store: Pick<EventStore, 'append'>, port: MessagePort): { close(): void } => {
  const onMessage = (m: AppendRequest): void => {
    // Called in arrival order: the store queues each append as it is called.
    store.append(m.stream, m.events, m.expected).then(
      (result) => {
        port.postMessage({ id: m.id, result } satisfies AppendAnswer);
      },
      (e: unknown) => {
        port.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) } satisfies AppendAnswer);
      },
    );
  };
  port.on('message', onMessage);
  return {
    close: () => {
      port.off('message', onMessage);
    },
  };
};

/** The worker's end: `append` sent to the owner over `port`; `fail` rejects every append waiting (the owner is gone). */
export const proxiedAppend = (
  port: MessagePort,
): { append: EventStore['append']; fail(reason: string): void; close(): void } => {
  const waiting = new Map<number, { resolve: (r: AppendResult) => void; reject: (e: Error) => void }>();
  let ids = 0;
  let failed: string | undefined;
  const fail = (reason: string): void => {
    failed ??= reason;
    for (const w of waiting.values()) w.reject(new Error(reason));
    waiting.clear();
  };
  port.on('message', (m: AppendAnswer) => {
    const w = waiting.get(m.id);
    if (w === undefined) return;
    waiting.delete(m.id);
    if ('result' in m) w.resolve(m.result);
    else w.reject(new Error(m.error));
  });
  return {
    append: (stream, events, expected) => {
      if (failed !== undefined) return Promise.reject(new Error(failed));
      return new Promise<AppendResult>((resolve, reject) => {
        const id = ++ids;
        waiting.set(id, { resolve, reject });
        port.postMessage({ id, stream, events, expected } satisfies AppendRequest);
      });
    },
    fail,
    close: () => {
      fail('event store is closed');
      port.close();
    },
  };
};
