import type { AppendResult, EventLink, RecordedEvent } from '../../ports/eventstore.js';
import { toRecordedEvent, type EventRow } from './sqlite-tables.js';
import type { PendingAppend } from './sqlite-writer.js';

// The rows this process committed last, kept as the log's file holds them, so its followers
// (woken by those very commits, at the head) read a new page here instead of from the file:
// the page read was 6-7 % of the main thread under sends (issue 15). A committed append of k
// events holds k consecutive positions ending at its answer's `position` (one writer inserts a
// transaction's rows in order), and a row never changes once committed, so a kept row is the
// file's row. A page is answered here only when it starts right after `after` and runs without
// a gap to `limit` or to the newest row kept: a position missing in between (a row this
// process did not write) sends the whole page to the file.
//
// The newest rows' events are made once and handed to every page that holds them (`HOT`), as
// the in-memory store hands out its events: the followers on the main thread are not woken in
// step (the delivery reactors start a turn later, app/after-fanout.ts), so each commit's rows
// were read in two or three pages, each making its own events and parsing their JSON again
// (about two `toRecordedEvent` and two parses of a message's data per event, issue 15). An
// event's texts are parsed when first read (sqlite-tables.ts), so a shared event is parsed once.
// Only the newest ones: an event whose data was read holds it parsed, larger than its text.
export interface RecentRows {
  committed(append: PendingAppend, result: AppendResult): void;
  /** The events after `after`, up to `limit`, or undefined: read the file. */
  page(after: number, limit: number | undefined): RecordedEvent[] | undefined;
  /**
   * Whether `after` is the newest position this process committed (and keeps): with every
   * commit to the file made by this process, nothing follows it until its next commit, which
   * wakes the followers again.
   */
  atHead(after: number): boolean;
  /**
   * The links (position, metadata's chain hash) of the rows after `after`, up to `limit`, as
   * `page` would find them (or undefined), each by `hashOf` of its metadata text, or by the
   * metadata of its event when one was made (parsed once with the followers').
   */
  links(
    after: number,
    limit: number,
    hashOf: { text(metadata: string): string | undefined; event(e: RecordedEvent): string | undefined },
  ): EventLink[] | undefined;
}

interface Kept {
  readonly row: EventRow;
  event: RecordedEvent | undefined;
}

/** How many of the newest kept rows keep their event, made at the first page that holds it. */
export const HOT = 1024;

export const recentRows = (capacity: number, hot = HOT): RecentRows => {
  const rows = new Map<number, Kept>();
  let newest = 0;
  // The rows up to this position hold no event (they left the hot end); -1 before the first commit.
  let cleared = -1;
  const eventAt = (kept: Kept): RecordedEvent => {
    if (kept.event !== undefined) return kept.event;
    const event = toRecordedEvent(kept.row);
    if (kept.row.position > newest - hot) kept.event = event;
    return event;
  };
  const keptAfter = (after: number, limit: number | undefined): Kept[] | undefined => {
    if (!rows.has(after + 1)) return undefined;
    const max = limit ?? Infinity;
    const out: Kept[] = [];
    for (let p = after + 1; out.length < max; p++) {
      const kept = rows.get(p);
      if (kept === undefined) return p > newest ? out : undefined;
      out.push(kept);
    }
    return out;
  };
  return {
    committed: (append, result) => {
      if (result.kind !== 'appended') return;
      const k = append.events.length;
      append.events.forEach((e, i) => {
        const position = result.position - k + 1 + i;
        rows.set(position, {
          row: {
            position,
            stream: append.stream,
            revision: result.nextRevision - k + 1 + i,
            type: e.type,
            data: e.data,
            metadata: e.metadata,
          },
          event: undefined,
        });
        if (position > newest) newest = position;
      });
      // Positions only grow, so the map's first keys are the oldest.
      for (const oldest of rows.keys()) {
        if (rows.size <= capacity) break;
        rows.delete(oldest);
      }
      // The events of rows that left the hot end are dropped (their rows stay).
      if (cleared < 0) cleared = result.position - k;
      for (; cleared < newest - hot; ) {
        cleared += 1;
        const kept = rows.get(cleared);
        if (kept !== undefined) kept.event = undefined;
      }
    },
    page: (after, limit) => keptAfter(after, limit)?.map(eventAt),
    links: (after, limit, hashOf) =>
      keptAfter(after, limit)?.map(({ row, event }) => ({
        position: row.position,
        hash: event === undefined ? hashOf.text(row.metadata) : hashOf.event(event),
      })),
    atHead: (after) => after > 0 && after === newest && rows.has(after),
  };
};
