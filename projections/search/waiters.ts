// Promises that settle when a projection reaches a log position, and a sleep that a stop can cut short.

const DEFAULT_WAIT_MS = 5_000;

interface Waiter { readonly position: number; readonly resolve: () => void; readonly reject: (e: Error) => void }

export const createWaiters = (current: () => number) => {
  const waiters = new Set<Waiter>();
  return {
    reach: (target: number, timeoutMs = DEFAULT_WAIT_MS): Promise<void> => {
      if (target <= current()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`search projection at position ${current()} did not reach ${target} within ${timeoutMs} ms`));
        }, timeoutMs);
        const w: Waiter = {
          position: target,
          resolve: () => { clearTimeout(timer); resolve(); },
          reject: (e) => { clearTimeout(timer); reject(e); },
        };
        waiters.add(w);
      });
    },
    notify: (): void => {
      for (const w of waiters) if (w.position <= current()) { waiters.delete(w); w.resolve(); }
    },
    rejectAll: (e: Error): void => {
      for (const w of waiters) w.reject(e);
      waiters.clear();
    },
  };
};

export const abortableSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) { reject(new Error('aborted')); return; }
    const onAbort = (): void => { clearTimeout(timer); reject(new Error('aborted')); };
    const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
