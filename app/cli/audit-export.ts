import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import type { AuditLog, EventStore } from '../../ports/eventstore.js';
import type { LogFilter } from '../../schema/audit.js';
import { CSV_HEADER, formatEvent, type Format } from './audit-format.js';
import { progressLine } from './progress.js';

// `msgxc audit export`: the events matching a filter, in log order, to a file or stdout.
// Resumable: with --cursor FILE, after each page is written (and fsynced, to a file) the
// cursor file is replaced atomically with where the export stands and how many bytes the
// output holds; a rerun with the same flags truncates the output to that size (dropping a
// page written after the last cursor) and goes on, so an interrupted export completes with
// each event exactly once.
const Cursor = t.type({ after: t.number, bytes: t.number, exported: t.number, format: t.string, filter: t.unknown });
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
  const decoded = Cursor.decode(JSON.parse(readFileSync(file, 'utf8')) as unknown);
  if (E.isLeft(decoded)) return E.left(`--cursor: ${file} is not an export cursor`);
  if (decoded.right.format !== o.format || !sameFilter(decoded.right.filter, o.filter))
    return E.left(`--cursor: ${file} belongs to an export with other --format or filter flags`);
  return E.right(decoded.right);
};

const saveCursor = (file: string, c: Cursor): void => {
  writeFileSync(`${file}.tmp`, JSON.stringify(c));
  renameSync(`${file}.tmp`, file);
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
  if (start !== undefined && o.out !== undefined && !existsSync(o.out))
    return E.left(`--cursor: ${o.cursor ?? ''} continues ${o.out}, which is gone (remove the cursor to start again)`);
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
      if (o.cursor !== undefined) saveCursor(o.cursor, { after, bytes, exported, format: o.format, filter: o.filter });
      progress.draw(Math.min(after, head), head, exported, page.next === null);
      if (page.next === null) return E.right(exported);
    }
  } finally {
    if (fd !== 1) closeSync(fd);
  }
};
