import type { LogFn, Logger } from '../ports/log.js';

// A worker thread's Logger: each line goes to the main thread as a message, which logs it
// with the node's logger. Errors do not survive postMessage's structured clone as Errors: their text goes.
export interface LogLine {
  readonly type: 'log';
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly obj: object;
  readonly msg: string | undefined;
}

const plain = (obj: object): object => {
  const err = (obj as { err?: unknown }).err;
  return err instanceof Error ? { ...obj, err: err.message } : obj;
};

export const postingLogger = (post: (line: LogLine) => void): Logger => {
  const level =
    (l: LogLine['level']): LogFn =>
    (a: object | string, msg?: string) => {
      post(
        typeof a === 'string'
          ? { type: 'log', level: l, obj: {}, msg: a }
          : { type: 'log', level: l, obj: plain(a), msg },
      );
    };
  return { debug: level('debug'), info: level('info'), warn: level('warn'), error: level('error') };
};
