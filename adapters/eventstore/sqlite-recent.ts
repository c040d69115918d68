import type { AppendResult } from '../../ports/eventstore.js';
import type { EventRow } from './sqlite-tables.js';
import type { PendingAppend } from './sqlite-writer.js';

// The rows this process committed last, kept as the log's file holds them, so its followers
// (woken by those very commits, at the head) read a new page here instead of from the file:
// the page read was 6-7 % of the main thread under sends (issue 15). A committed append of k
// events holds k consecutive positions ending at its answer's `position` (one writer inserts a
// transaction's rows in order), and a row never changes once committed, so a kept row is the
// file's row. A page is answered here only when it starts right after `after` and runs without
// a gap to `limit` or to the newest row kept: a position missing in between (a row this
// process did not write) sends the whole page to the file.
export interface RecentRows {
  committed(append: PendingAppend, result: AppendResult): void;
  /** The rows after `after`, up to `limit`, or undefined: read the file. */
  page(after: number, limit: number | undefined): EventRow[] | undefined;
}

export const recentRows = (capacity: number): RecentRows => {
  const rows = new Map<number, EventRow>();
  let newest = 0;
  return {
    committed: (append, result) => {
      if (result.kind !== 'appended') return;
      const k = append.events.length;
      append.events.forEach((e, i) => {
        const position = result.position - k + 1 + i;
        rows.set(position, {
          position,
          stream: append.stream,
          revision: result.nextRevision - k + 1 + i,
          type: e.type,
          data: e.data,
          metadata: e.metadata,
        });
        if (position > newest) newest = position;
      });
      // Positions only grow, so the map's first keys are the oldest.
      for (const oldest of rows.keys()) {
        if (rows.size <= capacity) break;
        rows.delete(oldest);
      }
    },
    page: (after, limit) => {
      if (!rows.has(after + 1)) return undefined;
      const max = limit ?? Infinity;
      const out: EventRow[] = [];
      for (let p = after + 1; out.length < max; p++) {
        const row = rows.get(p);
        if (row === undefined) return p > newest ? out : undefined;
        out.push(row);
      }
      return out;
    },
  };
};
