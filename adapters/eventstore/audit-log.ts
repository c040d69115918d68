import type { AuditLog, EventStore, LogPage, RecordedEvent, StreamPage } from '../../ports/eventstore.js';
import { normalizeFilter, type LogFilter } from '../../schema/audit.js';

// The auditors' queries over any engine's readAll: one implementation, so every engine
// answers the same filters the same way (test/contract/audit-log.contract.ts). A page reads
// at most `scanLimit` events, so a filter that matches little costs a bounded amount per
// request and answers a short page with a `next` to continue from; none of the engines can
// index metadata (JetStream, EventStoreDB), and the log is read in order anyway.

const PAGE = 1000;
export const DEFAULT_SCAN_LIMIT = 10_000;

/**
 * The event's metadata, or {} when it cannot be read: a row edited on disk into text that is
 * not JSON (the embedded engine parses it when first read) must not fail every page of the log
 * that holds it. Such an event matches no metadata filter; `msgxc audit verify` names it.
 */
export const readableMetadata = (e: RecordedEvent): Partial<RecordedEvent['metadata']> => {
  try {
    const m = e.metadata as unknown;
    return typeof m === 'object' && m !== null ? m : {};
  } catch {
    return {};
  }
};

export const matches = (f: LogFilter, e: RecordedEvent): boolean => {
  if (f.type !== undefined && !f.type.includes(e.type)) return false;
  if (f.stream !== undefined && !e.stream.startsWith(f.stream)) return false;
  const m = readableMetadata(e);
  if (f.actor !== undefined && m.actor?.uid !== f.actor) return false;
  if (f.correlationId !== undefined && m.correlationId !== f.correlationId) return false;
  // Stored times are toISOString's, and the filter's bounds are normalised to it.
  const at = typeof m.occurredAt === 'string' ? m.occurredAt : '';
  if (f.from !== undefined && at < f.from) return false;
  if (f.to !== undefined && at >= f.to) return false;
  return true;
};

const scanWith = async (
  store: Pick<EventStore, 'readAll'>,
  keep: (e: RecordedEvent) => boolean,
  after: number,
  limit: number,
  scanLimit: number,
): Promise<LogPage> => {
  const events: RecordedEvent[] = [];
  let cursor = after;
  let scanned = 0;
  for (;;) {
    const want = Math.min(PAGE, scanLimit - scanned);
    const page = await store.readAll({ after: cursor, limit: want });
    for (const e of page) {
      scanned += 1;
      cursor = e.position;
      if (keep(e)) {
        events.push(e);
        if (events.length === limit) return { events, next: cursor };
      }
    }
    if (page.length < want) return { events, next: null };
    if (scanned >= scanLimit) return { events, next: cursor };
    // The embedded engine answers a page synchronously underneath its promise: without a turn
    // of the event loop between pages, one filtered scan held it ~30 ms, and ten at once kept a
    // ping waiting 250 ms.
    await new Promise<void>((resolve) => {
      setImmediate(resolve);
    });
  }
};

export const auditLog = (store: Pick<EventStore, 'readAll' | 'read'>): AuditLog => ({
  read: (stream, options) => store.read(stream, options),
  scan: (q) => {
    const filter = normalizeFilter(q.filter);
    return scanWith(store, (e) => matches(filter, e), q.after, q.limit, q.scanLimit ?? DEFAULT_SCAN_LIMIT);
  },
  streams: async (q): Promise<StreamPage> => {
    const { prefix } = q;
    const page = await scanWith(
      store,
      (e) => e.revision === 0 && (prefix === undefined || e.stream.startsWith(prefix)),
      q.after,
      q.limit,
      q.scanLimit ?? DEFAULT_SCAN_LIMIT,
    );
    return {
      streams: page.events.map((e) => ({
        stream: e.stream,
        position: e.position,
        createdAt: ((at) => (typeof at === 'string' ? at : ''))(readableMetadata(e).occurredAt),
        type: e.type,
      })),
      next: page.next,
    };
  },
});
