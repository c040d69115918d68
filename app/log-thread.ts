import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import type { InProcessNetwork } from '../adapters/bus/in-process.js';
import { bridgeBusToPort } from '../adapters/bus/thread.js';
import type { SqliteEventStore } from '../adapters/eventstore/sqlite.js';
import { serveAppends } from '../adapters/eventstore/thread-append.js';
import type { EventStore } from '../ports/eventstore.js';
import type { Logger } from '../ports/log.js';
import { threadErrorText } from './thread-error.js';

// A worker thread of an embedded node that appends through this thread's one log writer and
// joins the node's in-process bus: the plumbing the HTTP threads (app/http-threads/) and the
// delivery reactors' thread (app/reactors-thread/) share. Each start gets fresh ports (a dead
// worker's ports close with it); a worker that exits without being asked to is started again
// after RESTART_MS, so what it served is late rather than gone.

/** What every such worker posts besides its own messages. */
export type LogThreadMessage =
  | { readonly type: 'ready' }
  | {
      readonly type: 'log';
      readonly level: 'debug' | 'info' | 'warn' | 'error';
      readonly obj: object;
      readonly msg: string | undefined;
    }
  | { readonly type: 'stopped' };

export interface LogThreadDeps {
  /** The node's log as it appends (sealed, chained): the worker's appends are made here, by its one writer. */
  readonly store: EventStore;
  /** The same log's engine: its file and commit counter, which the worker reads and waits on. */
  readonly sqlite: SqliteEventStore;
  readonly eventsFile: string;
  readonly keysFile: string | undefined;
  /** The node's in-process bus: the worker joins it as a node of its own. */
  readonly network: InProcessNetwork;
  readonly log: Logger;
}

export interface LogThreadSpec<From extends { readonly type: string }> {
  readonly url: URL;
  /** The worker's data, given the ends of its appends and bus channels (transferred to it). */
  readonly data: (ports: { readonly appends: MessagePort; readonly bus: MessagePort }) => unknown;
  /** Names the thread in log lines ("HTTP thread", "delivery reactors thread"). */
  readonly name: string;
  /** Added to every log line about this worker (e.g. its index). */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** Every message the worker posts but `log` and `stopped` (`ready` too, before it resolves). */
  readonly onMessage: (m: From) => void;
  /** After the worker exited, before a restart is considered. */
  readonly onExit?: () => void;
  /** True once the node stops: an exit is then expected and not restarted. */
  readonly stopping: () => boolean;
  /** Starts a new worker in place of one that exited unasked. */
  readonly restart: () => Promise<unknown>;
}

export interface LogThread {
  readonly worker: Worker;
  /** Resolved by the worker's `stopped` message or its exit. */
  readonly stopped: Promise<void>;
  /** Resolved by the worker's `ready` message; rejected by an error before it. */
  readonly ready: Promise<void>;
}

export const RESTART_MS = 1000;

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export const launchLogThread = <From extends { readonly type: string }>(
  deps: LogThreadDeps,
  spec: LogThreadSpec<From>,
): LogThread => {
  const { log } = deps;
  const { name } = spec;
  const fields = spec.fields ?? {};
  const appends = new MessageChannel();
  const bus = new MessageChannel();
  const served = serveAppends(deps.store, appends.port1);
  const bridged = bridgeBusToPort(deps.network, bus.port1, {
    onError: (e) => {
      log.warn({ err: message(e) }, 'bus error');
    },
  });
  const worker = new Worker(spec.url, {
    workerData: spec.data({ appends: appends.port2, bus: bus.port2 }),
    transferList: [appends.port2, bus.port2],
  });
  let stoppedResolve: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    stoppedResolve = resolve;
  });
  let isReady = false;
  let notReady: (e: Error) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    notReady = reject;
    worker.on('message', (m: From | LogThreadMessage) => {
      if (m.type === 'log') {
        const l = m as Extract<LogThreadMessage, { type: 'log' }>;
        log[l.level]({ ...l.obj, ...fields }, l.msg);
      } else if (m.type === 'stopped') stoppedResolve();
      else {
        spec.onMessage(m as From);
        if (m.type === 'ready') {
          isReady = true;
          resolve();
        }
      }
    });
    worker.on('error', (e) => {
      log.error({ err: threadErrorText(e), ...fields }, `${name} failed`);
      if (!isReady) reject(e instanceof Error ? e : new Error(`${name} failed: ${threadErrorText(e)}`));
    });
  });
  worker.on('exit', (code) => {
    served.close();
    void bridged.close();
    stoppedResolve();
    spec.onExit?.();
    // A worker that never got ready fails its start (the caller's, or the restart's log line).
    if (!isReady) notReady(new Error(`${name} exited with code ${String(code)} before it was ready`));
    if (spec.stopping() || !isReady) return;
    log.error({ code, ...fields }, `${name} exited; starting it again in ${RESTART_MS} ms`);
    setTimeout(() => {
      if (spec.stopping()) return;
      spec.restart().catch((e: unknown) => {
        log.error({ err: message(e), ...fields }, `${name} did not restart`);
      });
    }, RESTART_MS);
  });
  return { worker, stopped, ready };
};
