import type { DeadLetter, Stalled } from '../../ports/follower.js';

// Messages between the broker's main thread and a projection worker (app/projection-worker/worker.ts).
export interface WorkerOptions {
  /** Which projection the worker runs: the read models, or the search index. */
  readonly kind: 'reads' | 'search';
  readonly eventsFile: string;
  /** The data keys' file (adapters/keystore/sqlite.ts); undefined: keys are elsewhere, sealed fields read as redacted. */
  readonly keysFile: string | undefined;
  /** The main thread's sealed fields, opened here without deciphering (adapters/eventstore/sealed-share.ts). */
  readonly sealedShare?: SharedArrayBuffer;
  /** The first generation's file of the projection (read.db or search.db). */
  readonly file: string;
  /** The log's commit counter (SqliteEventStore.commitSignal): the worker wakes when it moves. */
  readonly commitSignal: SharedArrayBuffer;
}

export type ToWorker =
  | { readonly type: 'rebuild'; readonly allowSkips: boolean }
  | { readonly type: 'ask'; readonly id: number; readonly what: 'deadLetters' | 'wouldSkip' }
  | { readonly type: 'stop' };

export type FromWorker =
  | { readonly type: 'ready'; readonly name: string; readonly position: number }
  | { readonly type: 'position'; readonly position: number }
  /** The follower's failing batch (null: it passed), as status() shows it. */
  | { readonly type: 'stalled'; readonly stalled: Stalled | null }
  | { readonly type: 'progress'; readonly position: number; readonly head: number }
  | { readonly type: 'rebuilt'; readonly position: number; readonly replayed: number }
  | { readonly type: 'rebuildFailed'; readonly message: string; readonly skips?: readonly DeadLetter[] }
  /** A generation went live; the main thread's readers switch to `file` and remove `previous`. */
  | { readonly type: 'promoted'; readonly file: string; readonly previous: string }
  | { readonly type: 'quarantined'; readonly deadLetters: readonly DeadLetter[] }
  | {
      readonly type: 'answer';
      readonly id: number;
      readonly deadLetters: readonly DeadLetter[];
      readonly error?: string;
    }
  | { readonly type: 'log'; readonly level: 'warn' | 'error'; readonly obj: object; readonly msg: string }
  | { readonly type: 'stopped' };
