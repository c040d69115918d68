// The structured log every part writes to: fields first, then a message (pino's order; the
// node's logger is pino, app/log.ts). Parts take this interface so tests can pass their own.
export interface LogFn {
  (fields: object, msg?: string): void;
  (msg: string): void;
}

export interface Logger {
  readonly debug: LogFn;
  readonly info: LogFn;
  readonly warn: LogFn;
  readonly error: LogFn;
}
