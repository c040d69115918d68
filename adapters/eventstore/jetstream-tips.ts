// What this process last saw of each event stream, kept only to save round trips. Every
// value may be stale (another node may have appended since) but is never wrong about the
// past: a stored append is immutable, so "ordinal 7 holds revisions 9..11" stays true.
// An append guesses the stream's last append from `tip` and the server refuses a wrong
// guess; a read starts at a remembered append instead of ordinal 0 when revisions allow.

/** One stored append of a stream: its ordinal, its sequence and the revisions of its events. */
export interface SeenMessage {
  readonly ordinal: number;
  readonly seq: number;
  readonly firstRevision: number;
  readonly lastRevision: number;
}

/** The state of a stream with no append: the next append claims ordinal 0, revision 0. */
export const EMPTY_STREAM: SeenMessage = { ordinal: -1, seq: 0, firstRevision: -1, lastRevision: -1 };

interface Entry {
  tip?: SeenMessage;
  resume?: SeenMessage;
}

export interface TipCache {
  tip(stream: string): SeenMessage | undefined;
  setTip(stream: string, seen: SeenMessage): void;
  /** Where a page of a longer read stopped, so the next page need not start at ordinal 0. */
  setResume(stream: string, seen: SeenMessage): void;
  /** The highest ordinal known to hold no event after `fromRevision`'s, as a place to start reading. */
  startOrdinal(stream: string, fromRevision: number): number;
}

export const createTipCache = (capacity = 10_000): TipCache => {
  const entries = new Map<string, Entry>();
  // Map keeps insertion order: re-inserting on use makes the first key the least recent.
  const touch = (stream: string): Entry => {
    const entry = entries.get(stream) ?? {};
    entries.delete(stream);
    entries.set(stream, entry);
    if (entries.size > capacity) {
      const oldest = entries.keys().next();
      if (oldest.done !== true) entries.delete(oldest.value);
    }
    return entry;
  };
  // Stale or not, a later append is the better hint.
  const later = (a: SeenMessage | undefined, b: SeenMessage): SeenMessage =>
    a !== undefined && a.ordinal > b.ordinal ? a : b;
  return {
    tip: (stream) => entries.get(stream)?.tip,
    setTip: (stream, seen) => {
      const e = touch(stream);
      e.tip = later(e.tip, seen);
    },
    setResume: (stream, seen) => {
      touch(stream).resume = seen;
    },
    startOrdinal: (stream, fromRevision) => {
      const entry = entries.get(stream);
      let start = 0;
      for (const m of [entry?.tip, entry?.resume]) {
        if (m === undefined || m.ordinal < 0) continue;
        // Past the append's last event: the wanted events are all in later appends.
        if (fromRevision > m.lastRevision) start = Math.max(start, m.ordinal + 1);
        else if (fromRevision >= m.firstRevision) start = Math.max(start, m.ordinal);
      }
      return start;
    },
  };
};
