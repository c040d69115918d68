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
  /** The plain values of the fields this process sealed in the event it appended (as JSON gives them back). */
  readonly written?: readonly (readonly [string, unknown])[];
}

// The event's data as the log gives it back, its sealed fields replaced by their plain values:
// the data this process appended, as JSON gives it back, without writing and parsing all of it
// again at each append (issue 15): the other fields are the log's, and the sealed fields kept
// their places in it (sealed.ts replaces each in a copy of the data).
const unsealed = (data: unknown, fields: readonly (readonly [string, unknown])[]): unknown => {
  const out: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  for (const [field, value] of fields) out[field] = value;
  return out;
};

// A value as JSON gives it back (a string is its own).
const asJson = (value: unknown): unknown =>
  typeof value === 'string' ? value : (JSON.parse(JSON.stringify(value)) as unknown);

export interface OpenedEvents {
  /** The event as opened, if kept; `open` makes it otherwise, and it is kept (unless it fails). */
  opened(e: RecordedEvent, owner: string, open: () => Promise<RecordedEvent>): Promise<RecordedEvent>;
  /** An event this process appended, with the plain values of the fields it sealed (each present in its data). */
  wrote(
    position: number,
    stream: string,
    revision: number,
    owner: string,
    fields: readonly (readonly [string, unknown])[],
  ): void;
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
      const written = mine.written;
      mine.opened = written !== undefined ? Promise.resolve({ ...e, data: unsealed(e.data, written) }) : open();
      mine.opened.catch(() => {
        if (entries.get(e.position) === mine) entries.delete(e.position);
      });
      return mine.opened;
    },
    wrote: (position, stream, revision, owner, fields) => {
      // As the log gives them back: what JSON changes (dates) is so here too.
      keep(position, { owner, stream, revision, written: fields.map(([f, v]) => [f, asJson(v)] as const) });
    },
    drop: (owner) => {
      for (const [position, entry] of entries) if (entry.owner === owner) entries.delete(position);
    },
  };
};
