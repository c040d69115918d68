import type { BatchHandler, EventStore, Subscription } from '../../ports/eventstore.js';

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
 * The wake signal and open subscriptions of one store, for adapters built on
 * `catchUpSubscription`: `wake` after each commit, `subscribeAll` as the port's method,
 * `closeAll` when the store closes (each subscription finishes its current batch first).
 */
export const subscriptionHub = (store: Pick<EventStore, 'readAll'>, pageSize?: number) => {
  const listeners = new Set<() => void>();
  const subscriptions = new Set<Subscription>();
  return {
    wake: (): void => {
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
        store,
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
