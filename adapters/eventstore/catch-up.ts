import type { BatchHandler, EventStore, ReadAllOptions, RecordedEvent, Subscription } from '../../ports/eventstore.js';

// A catch-up subscription built only on readAll plus a "something was appended" signal.
// Adapters whose engine has no native push (the embedded stores) share it; it reads in
// pages, so a subscriber far behind never loads the whole log at once.
export const catchUpSubscription = (
  store: Pick<EventStore, 'readAll'>,
  onAppend: (wake: () => void) => () => void,
  after: number,
  handler: BatchHandler,
  onError: (e: unknown) => void = () => undefined,
  pageSize = 500,
): Subscription => {
  let position = after;
  let closed = false;
  let running = false;
  let again = false;
  let idle: Promise<void> = Promise.resolve();

  // Functions, not the variables, because wake() and close() flip them while the pump is
  // suspended in an await, which control-flow narrowing cannot see.
  const isClosed = (): boolean => closed;
  const wokenAgain = (): boolean => again && !closed;

  const pump = async (): Promise<void> => {
    for (;;) {
      if (isClosed()) return;
      const events = await store.readAll({ after: position, limit: pageSize });
      if (events.length === 0 || isClosed()) return;
      await handler(events);
      const last = events[events.length - 1];
      if (last) position = last.position;
    }
  };
  const wake = (): void => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    // `running` is cleared in the same synchronous step as the last look at `again`; clearing
    // it in a later .finally() left a window in which a wake set `again` and was lost.
    idle = (async () => {
      try {
        for (;;) {
          again = false;
          await pump();
          if (!wokenAgain()) return;
        }
      } catch (e) {
        onError(e);
      } finally {
        running = false;
      }
    })();
  };
  const unsubscribe = onAppend(wake);
  wake();
  return {
    close: async () => {
      closed = true;
      unsubscribe();
      await idle;
    },
  };
};

/**
 * One read for every subscription that asks for the same page between two commits: the
 * followers of a process are usually all at the head and woken together by each commit, and
 * each reading (and decoding) the new events again was a sixth of the main thread under sends
 * (issue 15). What a page held is forgotten at every commit (`forget`, called before the
 * subscriptions are woken), so a subscription never settles for a page read before a commit
 * it was woken for; a read that fails is not kept. The events are shared: readers must not
 * change them (RecordedEvent is readonly). Only the last `keep` pages are kept: followers
 * catching up on a long log read page after page with no commit in between, and keeping every
 * page until the next commit held the whole backlog in memory (issue 13: most of the heap after
 * a 200,000-user setup); a follower more than `keep` pages behind another reads its own.
 */
export const sharedReads = (
  store: Pick<EventStore, 'readAll'>,
  keep = 16,
): Pick<EventStore, 'readAll'> & { forget(): void } => {
  let pages = new Map<string, Promise<readonly RecordedEvent[]>>();
  return {
    readAll: (options) => {
      const key = `${String(options.after ?? 0)} ${String(options.limit)}`;
      const known = pages.get(key);
      if (known !== undefined) return known;
      const mine = pages;
      const read = store.readAll(options);
      mine.set(key, read);
      if (mine.size > keep) mine.delete(mine.keys().next().value ?? key);
      read.catch(() => {
        if (mine.get(key) === read) mine.delete(key);
      });
      return read;
    },
    forget: () => {
      pages = new Map();
    },
  };
};

/**
 * The wake signal and open subscriptions of one store, for adapters built on
 * `catchUpSubscription`: `wake` after each commit, `subscribeAll` as the port's method,
 * `closeAll` when the store closes (each subscription finishes its current batch first).
 * `shareReads`: subscriptions asking for the same page between two wakes share one read
 * (`sharedReads`); for a store whose every commit is followed by `wake` in this process.
 */
export const subscriptionHub = (
  store: Pick<EventStore, 'readAll'>,
  options: { readonly pageSize?: number; readonly shareReads?: boolean } = {},
) => {
  const { pageSize } = options;
  const listeners = new Set<() => void>();
  const subscriptions = new Set<Subscription>();
  const shared =
    options.shareReads === true
      ? sharedReads(store)
      : { readAll: (o: ReadAllOptions) => store.readAll(o), forget: () => undefined };
  return {
    wake: (): void => {
      // Before the subscriptions read again: what was read before this commit may lack it.
      shared.forget();
      for (const wake of listeners) wake();
    },
    /** Called after every commit (besides the subscriptions' own wake-ups); returns the way to stop. */
    onCommit: (listener: () => void): (() => void) => {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    subscribeAll: (after: number, handler: BatchHandler, onError?: (e: unknown) => void): Subscription => {
      const inner = catchUpSubscription(
        shared,
        (wake) => {
          listeners.add(wake);
          return () => listeners.delete(wake);
        },
        after,
        handler,
        onError,
        pageSize,
      );
      const subscription: Subscription = {
        close: () => {
          subscriptions.delete(subscription);
          return inner.close();
        },
      };
      subscriptions.add(subscription);
      return subscription;
    },
    closeAll: async (): Promise<void> => {
      await Promise.all([...subscriptions].map((s) => s.close()));
    },
  };
};
