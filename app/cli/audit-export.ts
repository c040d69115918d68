import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import type { AuditLog, EventStore } from '../../ports/eventstore.js';
import type { LogFilter } from '../../schema/audit.js';
import { readableMetadata } from '../../adapters/eventstore/audit-log.js';
import { CSV_HEADER, formatEvent, type Format } from './audit-format.js';
import { progressLine } from './progress.js';

// `msgxc audit export`: the events matching a filter, in log order, to a file or stdout.
// Resumable: with --cursor FILE, after each page is written (and fsynced, to a file) the
// cursor file is replaced atomically with where the export stands and how many bytes the
// output holds; a rerun with the same flags truncates the output to that size (dropping a
// page written after the last cursor) and goes on, so an interrupted export completes with
// each event exactly once.
const Count = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 0, 'Count');
const Cursor = t.intersection([
  t.type({ after: Count, bytes: Count, exported: Count, format: t.string, filter: t.unknown }),
  // The log it was written on (its first event's link): a cursor from another log is refused.
  // Absent in cursors written before it.
  t.partial({ log: t.string }),
]);
type Cursor = t.TypeOf<typeof Cursor>;

export interface ExportOptions {
  readonly format: Format;
  readonly filter: LogFilter;
  readonly out?: string;
  readonly cursor?: string;
}

const sameFilter = (a: unknown, b: LogFilter): boolean => JSON.stringify(a) === JSON.stringify(b);

const readCursor = (file: string, o: ExportOptions): E.Either<string, Cursor | undefined> => {
  if (!existsSync(file)) return E.right(undefined);
  let text: unknown;
  try {
    text = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch {
    return E.left(`--cursor: ${file} is not an export cursor (not JSON)`);
  }
  const decoded = Cursor.decode(text);
  if (E.isLeft(decoded)) return E.left(`--cursor: ${file} is not an export cursor`);
  if (decoded.right.format !== o.format || !sameFilter(decoded.right.filter, o.filter))
    return E.left(`--cursor: ${file} belongs to an export with other --format or filter flags`);
  return E.right(decoded.right);
};

const saveCursor = (file: string, c: Cursor): void => {
  writeFileSync(`${file}.tmp`, JSON.stringify(c));
  renameSync(`${file}.tmp`, file);
};

/** What names a log: its first event's link (or id, before the chain); '' for an empty log. */
const logIdentity = async (audit: AuditLog): Promise<string> => {
  const [first] = (await audit.scan({ filter: {}, after: 0, limit: 1 })).events;
  if (first === undefined) return '';
  const m = readableMetadata(first);
  return m.chain?.hash ?? m.eventId ?? `${first.stream}@${String(first.position)}`;
};

/** The output a resumed export goes on writing must be the one its cursor was saved with. */
const checkOutput = (o: ExportOptions, c: Cursor): string | undefined => {
  if (o.out === undefined) return undefined;
  const cursor = o.cursor ?? '';
  if (!existsSync(o.out))
    return `--cursor: ${cursor} continues ${o.out}, which is gone (remove the cursor to start again)`;
  const size = statSync(o.out).size;
  if (size < c.bytes)
    return `--cursor: ${cursor} says ${o.out} holds ${String(c.bytes)} bytes, but it holds ${String(size)}: it is not the output this cursor was written with (remove the cursor to start again)`;
  if (c.bytes === 0) return undefined;
  // Every page ends with a line's end: a cursor whose size cuts a line was not saved by an export.
  const last = Buffer.alloc(1);
  const fd = openSync(o.out, 'r');
  try {
    readSync(fd, last, 0, 1, c.bytes - 1);
  } finally {
    closeSync(fd);
  }
  return last[0] === 0x0a
    ? undefined
    : `--cursor: ${cursor} says ${o.out} holds ${String(c.bytes)} bytes, which is not the end of a line: it is not the output this cursor was written with`;
};

export const exportLog = async (
  audit: AuditLog,
  store: Pick<EventStore, 'head'>,
  o: ExportOptions,
  err: NodeJS.WriteStream = process.stderr,
): Promise<E.Either<string, number>> => {
  const resumed = o.cursor !== undefined ? readCursor(o.cursor, o) : E.right(undefined);
  if (E.isLeft(resumed)) return resumed;
  const start = resumed.right;
  const log = o.cursor !== undefined ? await logIdentity(audit) : undefined;
  if (start !== undefined) {
    const wrong = checkOutput(o, start);
    if (wrong !== undefined) return E.left(wrong);
    const head = await store.head();
    if (start.after > head || (start.log !== undefined && start.log !== log))
      return E.left(
        `--cursor: ${o.cursor ?? ''} was written on another log (it stands at position ${String(start.after)}; this log's head is ${String(head)}${start.log !== undefined && start.log !== log ? ', and its first event is another' : ''})`,
      );
  }
  const fd = o.out !== undefined ? openSync(o.out, start !== undefined ? 'r+' : 'w') : 1;
  let bytes = start?.bytes ?? 0;
  let exported = start?.exported ?? 0;
  let after = start?.after ?? 0;
  // A file is written at known offsets; stdout (often a pipe) through its stream, waiting for it to drain.
  const write = async (text: string): Promise<void> => {
    const buffer = Buffer.from(text, 'utf8');
    if (fd === 1) {
      if (!process.stdout.write(buffer)) await new Promise((resolve) => process.stdout.once('drain', resolve));
    } else
      for (let done = 0; done < buffer.length; )
        done += writeSync(fd, buffer, done, buffer.length - done, bytes + done);
    bytes += buffer.length;
  };
  try {
    if (fd !== 1) ftruncateSync(fd, bytes);
    if (bytes === 0 && o.format === 'csv') await write(CSV_HEADER);
    const head = await store.head();
    const progress = progressLine(err, 'events');
    for (;;) {
      const page = await audit.scan({ filter: o.filter, after, limit: 1000 });
      await write(page.events.map((e) => formatEvent(o.format, e)).join(''));
      exported += page.events.length;
      if (fd !== 1) fsyncSync(fd);
      after = page.next ?? page.events[page.events.length - 1]?.position ?? after;
      if (o.cursor !== undefined)
        saveCursor(o.cursor, {
          after,
          bytes,
          exported,
          format: o.format,
          filter: o.filter,
          ...(log !== undefined && log !== '' ? { log } : {}),
        });
      progress.draw(Math.min(after, head), head, exported, page.next === null);
      if (page.next === null) return E.right(exported);
    }
  } finally {
    if (fd !== 1) closeSync(fd);
  }
};
