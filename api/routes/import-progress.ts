// The progress of user imports on this node, by import id: a bounded map (the newest 100),
// in memory only. An import's lines are durable as they are answered; the progress report is
// not, and a restarted node forgets it (the users are in the log; re-importing is idempotent).

export interface ImportLineError {
  readonly line: number;
  readonly field: string;
  readonly msg: string;
}

export interface ImportProgress {
  readonly id: string;
  linesRead: number;
  usersWritten: number;
  unchanged: number;
  errors: number;
  /** The first errors (at most 100), each naming its line and field. */
  readonly firstErrors: ImportLineError[];
  running: number;
  startedAt: string;
  updatedAt: string;
}

const KEEP = 100;
export const MAX_ERRORS_KEPT = 100;

export const createImportProgress = () => {
  const all = new Map<string, ImportProgress>();
  return {
    open: (id: string, now: Date): ImportProgress => {
      let p = all.get(id);
      if (p === undefined) {
        const at = now.toISOString();
        p = {
          id,
          linesRead: 0,
          usersWritten: 0,
          unchanged: 0,
          errors: 0,
          firstErrors: [],
          running: 0,
          startedAt: at,
          updatedAt: at,
        };
        all.set(id, p);
        if (all.size > KEEP) all.delete(all.keys().next().value ?? id);
      }
      return p;
    },
    get: (id: string): ImportProgress | undefined => all.get(id),
  };
};
export type ImportProgressRegistry = ReturnType<typeof createImportProgress>;

export const addError = (p: ImportProgress, e: ImportLineError): void => {
  p.errors += 1;
  if (p.firstErrors.length < MAX_ERRORS_KEPT) p.firstErrors.push(e);
};
