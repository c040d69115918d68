// Promises that settle when a follower reaches a log position (`waitFor`), and a sleep that a
// stop can cut short (the pause between retries).

export const DEFAULT_WAIT_MS = 5_000;

interface Waiter {
  readonly position: number;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

export interface Waiters {
  /** Resolves once `notify` reports `target` (at once if `position()` is there already), or rejects after `timeoutMs`. */
  wait(target: number, position: () => number, timeoutMs?: number): Promise<void>;
  notify(position: number): void;
  rejectAll(e: Error): void;
}

export const createWaiters = (): Waiters => {
  const waiters = new Set<Waiter>();
  return {
    wait: (target, position, timeoutMs = DEFAULT_WAIT_MS) => {
      if (target <= position()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`projection at position ${position()} did not reach ${target} within ${timeoutMs} ms`));
        }, timeoutMs);
        const w: Waiter = {
          position: target,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        };
        waiters.add(w);
      });
    },
    notify: (position) => {
      for (const w of waiters)
        if (w.position <= position) {
          waiters.delete(w);
          w.resolve();
        }
    },
    rejectAll: (e) => {
      for (const w of waiters) w.reject(e);
      waiters.clear();
    },
  };
};

export class Aborted extends Error {
  constructor() {
    super('aborted');
    this.name = 'Aborted';
  }
}

export const abortableSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(new Aborted());
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new Aborted());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

export interface Backoff {
  readonly firstMs: number;
  readonly maxMs: number;
}
export const DEFAULT_BACKOFF: Backoff = { firstMs: 100, maxMs: 5_000 };
export const delayOf = (b: Backoff, attempt: number): number => Math.min(b.maxMs, b.firstMs * 2 ** attempt);
