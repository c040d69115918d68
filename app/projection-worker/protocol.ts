// Messages between the broker's main thread and a projection worker (app/projection-worker/worker.ts).
export interface WorkerOptions {
  /** Which projection the worker runs: the read models, or the search index. */
  readonly kind: 'reads' | 'search';
  readonly eventsFile: string;
  /** The file the projection writes (read.db or search.db). */
  readonly file: string;
}

export type ToWorker = { readonly type: 'wake' } | { readonly type: 'rebuild' } | { readonly type: 'stop' };

export type FromWorker =
  | { readonly type: 'ready'; readonly name: string; readonly position: number }
  | { readonly type: 'position'; readonly position: number }
  | { readonly type: 'progress'; readonly position: number; readonly head: number }
  | { readonly type: 'rebuilt'; readonly position: number; readonly replayed: number }
  | { readonly type: 'log'; readonly level: 'warn' | 'error'; readonly obj: object; readonly msg: string }
  | { readonly type: 'stopped' };
