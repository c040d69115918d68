// Promises that settle when a projection reaches a log position, and a sleep that a stop can cut short.
import { createWaiters as positionWaiters } from '../runner-core.js';

// The shared position waiters of projections/runner-core.ts, keyed to this projection's position.
export const createWaiters = (current: () => number) => {
  const waiters = positionWaiters();
  return {
    reach: (target: number, timeoutMs?: number): Promise<void> => waiters.wait(target, current, timeoutMs),
    notify: (): void => {
      waiters.notify(current());
    },
    rejectAll: (e: Error): void => {
      waiters.rejectAll(e);
    },
  };
};

export const abortableSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(new Error('aborted'));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
