import type { LogThreadMessage } from '../log-thread.js';
import type { MessagePort } from 'node:worker_threads';
import type { MetricCounts } from '../../api/metrics.js';
import type { RateMemory } from '../../api/rate-limits.js';
import type { RebuildStatus } from '../../api/routes/admin.js';
import type { ProjectionStatus } from '../../ports/projections.js';

// Messages between an embedded node's main thread and one of its extra HTTP/websocket threads
// (app/http-threads/worker.ts, MSGXC_HTTP_THREADS). Appends and the bus have ports of their
// own (adapters/eventstore/thread-append.ts, adapters/bus/thread.ts).
export interface HttpThreadOptions {
  /** The node's Config, its URLs as text (../reactors-thread/config-clone.ts). */
  readonly config: unknown;
  /** 1..N-1 (the main thread is 0): in the worker's node name and its `msgxc_http_thread` gauge. */
  readonly index: number;
  /** The port the main thread listens on: the worker listens on the same one (SO_REUSEPORT). */
  readonly port: number;
  readonly eventsFile: string;
  readonly keysFile: string | undefined;
  /** The log's commit counter (SqliteEventStore.commitSignal). */
  readonly commitSignal: SharedArrayBuffer;
  /** The main thread's rate-limit buckets (api/shared-buckets.ts): the budgets are per node, not per thread. */
  readonly rateMemory: RateMemory;
  /** To the main thread's writer of the log. */
  readonly appends: MessagePort;
  /** To the main thread's in-process bus. */
  readonly bus: MessagePort;
}

/**
 * What a worker asks of what only the main thread has: the projections' and the live
 * follower's progress (they run there), the admin operations, delivery's reports.
 */
export type Target = 'reads' | 'search' | 'live' | 'admin' | 'reports' | 'reportsCaughtUp' | 'metrics';

/** What the worker reads synchronously: the main thread's last copy, pushed when it changes. */
export interface Snapshot {
  readonly reads: readonly ProjectionStatus[];
  readonly search: readonly ProjectionStatus[];
  readonly rebuild: RebuildStatus;
}

/** How often at most a worker sends its counts: a scrape on another thread is that much behind. */
export const METRICS_MS = 250;
/** How often at least a worker sends its gauges, counted or not. */
export const GAUGES_MS = 1_000;

export type ToWorker =
  | { readonly type: 'answer'; readonly id: number; readonly value?: unknown; readonly error?: string }
  | { readonly type: 'snapshot'; readonly snapshot: Snapshot }
  /** The read models' new live generation: the worker switches its read connection to `file`. */
  | { readonly type: 'promoted'; readonly file: string }
  /** Fails the worker as an uncaught exception would (a drill: tests, operators). */
  | { readonly type: 'crash' }
  | { readonly type: 'stop' };

export type FromWorker =
  | { readonly type: 'ready' }
  | {
      readonly type: 'ask';
      readonly id: number;
      readonly target: Target;
      readonly method: string;
      readonly args: readonly unknown[];
    }
  /** The worker's counters and histograms, sent when they changed (at most every METRICS_MS). */
  | { readonly type: 'metrics'; readonly counts: MetricCounts }
  | Exclude<LogThreadMessage, { readonly type: 'ready' }>;
