// Messages between the broker's main thread and the projection worker (projections/worker.ts).
export interface WorkerOptions {
  readonly eventsFile: string;
  readonly readFile: string;
}

export type ToWorker =
  | { readonly type: 'wake' }
  | { readonly type: 'rebuild' }
  | { readonly type: 'stop' };

export type FromWorker =
  | { readonly type: 'ready'; readonly position: number }
  | { readonly type: 'position'; readonly position: number }
  | { readonly type: 'progress'; readonly position: number; readonly head: number }
  | { readonly type: 'rebuilt'; readonly position: number }
  | { readonly type: 'log'; readonly level: 'warn' | 'error'; readonly obj: object; readonly msg: string }
  | { readonly type: 'stopped' };
