import type { LogThreadMessage } from '../log-thread.js';
import type { MessagePort } from 'node:worker_threads';
import type { ReactorPart, ReactorStatus } from '../../delivery/runner.js';
import type { DeadLetter } from '../../ports/follower.js';

// Messages between an embedded node's main thread and its delivery reactors' worker
// (app/reactors-thread/worker.ts). Appends and the bus have ports of their own
// (adapters/eventstore/thread-append.ts, adapters/bus/thread.ts).
export interface ReactorsThreadOptions {
  /** The node's Config, its URLs as text (./config-clone.ts). */
  readonly config: unknown;
  /** The worker's name in presence (a node of its own on the bus, with no sessions). */
  readonly node: string;
  readonly eventsFile: string;
  readonly keysFile: string | undefined;
  /** The log's commit counter (SqliteEventStore.commitSignal): the worker wakes when it moves. */
  readonly commitSignal: SharedArrayBuffer;
  /** To the main thread's writer of the log. */
  readonly appends: MessagePort;
  /** To the main thread's in-process bus. */
  readonly bus: MessagePort;
  /** Which part of delivery this thread runs (MSGXC_REACTORS_THREAD=split: the folds on one, the sends on another). */
  readonly part: ReactorPart;
  /** With a split: the folds' position and wakes (./folds-peer.ts), written by their thread, read by the sends'. */
  readonly folds?: SharedArrayBuffer;
}

export type Question =
  | { readonly what: 'waitFor'; readonly position: number; readonly timeoutMs: number }
  | { readonly what: 'settle'; readonly timeoutMs: number | undefined }
  | { readonly what: 'deadLetters' }
  | { readonly what: 'upcoming' | 'recent'; readonly limit: number };

export type ToWorker =
  | { readonly type: 'ask'; readonly id: number; readonly question: Question }
  /** The sends' scheduler is to wake (Reactors.wake; the folds' thread wakes it through ./folds-peer.ts). */
  | { readonly type: 'wake'; readonly earliest?: number }
  | { readonly type: 'stop' };

export type FromWorker =
  | { readonly type: 'ready'; readonly status: readonly ReactorStatus[] }
  | { readonly type: 'status'; readonly status: readonly ReactorStatus[] }
  | { readonly type: 'answer'; readonly id: number; readonly value?: unknown; readonly error?: string }
  | { readonly type: 'quarantined'; readonly deadLetters: readonly DeadLetter[] }
  | Exclude<LogThreadMessage, { readonly type: 'ready' }>;
