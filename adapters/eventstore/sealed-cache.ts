import type { RecordedEvent } from '../../ports/eventstore.js';

// What the sealed store (sealed.ts) keeps of recent events, by log position, so that a process
// opens each sealed event once (issue 15: every follower on the main thread opened each event
// again, a seventh of that thread under sends), and what it sealed itself it does not open at all.
// Only recent events; an erasure drops its owner's (`drop`), so nothing erased stays readable.

interface Entry {
  readonly owner: string;
  readonly stream: string;
  readonly revision: number;
  /** The opening, shared by everyone who asks while it is under way. */
  opened?: Promise<RecordedEvent>;
  /** The plain data this process appended (as the log's JSON gives it back). */
  readonly written?: unknown;
}

export interface OpenedEvents {
  /** The event as opened, if kept; `open` makes it otherwise, and it is kept (unless it fails). */
  opened(e: RecordedEvent, owner: string, open: () => Promise<RecordedEvent>): Promise<RecordedEvent>;
  /** An event this process appended, with its data before sealing. */
  wrote(position: number, stream: string, revision: number, owner: string, data: unknown): void;
  /** Forgets every event of this owner. */
  drop(owner: string): void;
}

export const openedEvents = (capacity = 2048): OpenedEvents => {
  const entries = new Map<number, Entry>();
  const keep = (position: number, entry: Entry): void => {
    entries.delete(position);
    entries.set(position, entry);
    if (entries.size > capacity) {
      const oldest = entries.keys().next();
      if (oldest.done !== true) entries.delete(oldest.value);
    }
  };
  return {
    opened: (e, owner, open) => {
      let entry = entries.get(e.position);
      // (stream, revision) checked too: an engine's positions need not be those of readAll in a stream read.
      if (entry === undefined || entry.stream !== e.stream || entry.revision !== e.revision || entry.owner !== owner) {
        entry = { owner, stream: e.stream, revision: e.revision };
        keep(e.position, entry);
      }
      if (entry.opened !== undefined) return entry.opened;
      const mine = entry;
      mine.opened = 'written' in mine ? Promise.resolve({ ...e, data: mine.written }) : open();
      mine.opened.catch(() => {
        if (entries.get(e.position) === mine) entries.delete(e.position);
      });
      return mine.opened;
    },
    wrote: (position, stream, revision, owner, data) => {
      // As the log gives it back: what JSON drops (undefined) or changes (dates) is so here too.
      keep(position, { owner, stream, revision, written: JSON.parse(JSON.stringify(data)) as unknown });
    },
    drop: (owner) => {
      for (const [position, entry] of entries) if (entry.owner === owner) entries.delete(position);
    },
  };
};
