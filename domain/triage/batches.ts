// Large audiences are planned in batches, each its own MessageTriaged event, so no event
// grows with the audience and a broadcast to a million users streams. A batch records the
// cursor to continue from (`next`), absent on the last one: a reactor that crashed in the
// middle of an expansion reads the last batch written and resumes after it.

export interface BatchCursor {
  /** Index of the next batch to write. */
  readonly batch: number;
  /** Where the next page starts: '' at the beginning; an offset into a list, or the last uid of a paged audience. */
  readonly after: string;
}

export const FIRST_BATCH: BatchCursor = { batch: 0, after: '' };

/** Where to continue given the newest batch already in the log; 'done' after the last one. */
export const resumeAfter = (
  last: { readonly batch: number; readonly next?: string } | undefined,
): BatchCursor | 'done' => {
  if (last === undefined) return FIRST_BATCH;
  return last.next === undefined ? 'done' : { batch: last.batch + 1, after: last.next };
};

export interface Page<T> {
  readonly items: readonly T[];
  /** The cursor after this page, or undefined when this page is the last. */
  readonly next?: string;
}

/** A page of an explicit list; the cursor is an offset, so the list must keep its order. */
export const listPage = <T>(list: readonly T[], after: string, size: number): Page<T> => {
  const from = after === '' ? 0 : Number(after);
  const to = from + size;
  const items = list.slice(from, to);
  return to < list.length ? { items, next: String(to) } : { items };
};
