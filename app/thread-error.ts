import { inspect } from 'node:util';

// What a worker thread throws reaches its parent's 'error' event as a structured clone. A
// SqliteError (better-sqlite3) is no Error to the clone (its constructor never runs Error's)
// and its message and code are not enumerable, so it arrived as `{}`: a thread that failed to
// open a file was logged as "failed" and the node as "failed to start: [object Object]".

/** In the worker: `e` as a plain Error that keeps its message, code and stack across threads. */
export const threadError = (e: unknown): Error => {
  if (Object.prototype.toString.call(e) === '[object Error]') return e as Error;
  const o = (typeof e === 'object' && e !== null ? e : {}) as { message?: unknown; code?: unknown; stack?: unknown };
  const code = typeof o.code === 'string' ? ` (${o.code})` : '';
  const err = new Error(`${typeof o.message === 'string' ? o.message : inspect(e)}${code}`);
  if (typeof o.stack === 'string') err.stack = o.stack;
  return err;
};

/** In the worker: runs a step of its start, so that what it throws keeps its text (threadError). */
export const starting = async <T>(step: () => T | Promise<T>): Promise<T> => {
  try {
    return await step();
  } catch (e) {
    throw threadError(e);
  }
};

/** In the parent: the text of what a worker's 'error' event carried, whatever it is. */
export const threadErrorText = (e: unknown): string => (e instanceof Error ? e.message : inspect(e));
