import type { RecordedEvent } from '../../ports/eventstore.js';

// How `msgxc audit export` writes events: JSON Lines (one event per line, as the audit
// routes show it) or CSV (RFC 4180: a header row, fields quoted when they hold a comma, a
// quote or a line break, `data` and `roles` as JSON). Cells are written as stored, never
// rewritten: an auditor's copy must match the log, so a spreadsheet user should import
// the CSV as text rather than open it (a cell may start with `=`).
export type Format = 'jsonl' | 'csv';

export const CSV_HEADER =
  'position,stream,revision,type,occurredAt,actor,roles,correlationId,causationId,eventId,hash,data\r\n';

const cell = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

export const formatEvent = (format: Format, e: RecordedEvent): string => {
  if (format === 'jsonl')
    return `${JSON.stringify({ stream: e.stream, revision: e.revision, position: e.position, type: e.type, data: e.data, metadata: e.metadata })}\n`;
  const m = e.metadata;
  return `${[
    String(e.position),
    e.stream,
    String(e.revision),
    e.type,
    m.occurredAt,
    m.actor.uid,
    JSON.stringify(m.actor.roles),
    m.correlationId,
    m.causationId,
    m.eventId,
    m.chain?.hash ?? '',
    (JSON.stringify(e.data) as string | undefined) ?? 'null',
  ]
    .map(cell)
    .join(',')}\r\n`;
};
