import { preview } from '../schema/json.js';
import type { Logger } from '../ports/log.js';

// uWS calls our code from C++: an exception that unwinds out of a uWS callback (a request
// handler, onData, upgrade, open, message, close) ends the whole process, and so does one out
// of a timer. Every such entry point goes through a guard: expected failures are values
// handled inside; a throw is a bug, which is logged with where it happened and answered
// (500, an error frame, a close code) instead of killing every other connection on the node.

/** A thrown value as log text, bounded; never throws itself. */
export const thrownText = (e: unknown): string => {
  try {
    if (e instanceof Error) return (e.stack ?? `${e.name}: ${e.message}`).slice(0, 4000);
    return `thrown: ${preview(e)}`;
  } catch {
    return 'thrown: an unprintable value';
  }
};

/**
 * Wraps a callback that the runtime calls. `recover` answers for it (and may throw too: that
 * is logged as well). Only the callback's own failure is caught, never re-thrown.
 */
export type Guard = <A extends unknown[]>(
  where: string,
  fn: (...args: A) => void,
  recover?: (e: unknown, ...args: A) => void,
) => (...args: A) => void;

export const createGuard =
  (log: Logger): Guard =>
  (where, fn, recover) =>
  (...args) => {
    try {
      fn(...args);
    } catch (e) {
      log.error({ where, err: thrownText(e) }, 'unhandled error in a callback');
      if (recover === undefined) return;
      try {
        recover(e, ...args);
      } catch (again) {
        log.error({ where, err: thrownText(again) }, 'recovering from an unhandled error failed');
      }
    }
  };

/** For a module built without a logger (in unit tests): the callback runs unguarded. */
export const unguarded: Guard = (_where, fn) => fn;
