import Database from 'better-sqlite3';
import { dirname } from 'node:path';
import type { EventMetadata } from '../../schema/metadata.js';
import { unreadableEvent } from '../../schema/unreadable-event.js';
import type { RecordedEvent } from '../../ports/eventstore.js';
import { useWal } from '../sqlite/wal.js';
import { makeDirs } from '../sqlite/dir.js';

// `position` is the rowid: SQLite hands out max(rowid)+1 and we never delete, so positions
// start at 1 and strictly increase. `streams` keeps each stream's current revision so the
// expected-revision check is one primary-key lookup instead of a max() over the stream.
const DDL = `
CREATE TABLE IF NOT EXISTS events (
  position INTEGER PRIMARY KEY,
  stream   TEXT    NOT NULL,
  revision INTEGER NOT NULL,
  type     TEXT    NOT NULL,
  data     TEXT    NOT NULL,
  metadata TEXT    NOT NULL,
  UNIQUE (stream, revision)
);
CREATE TABLE IF NOT EXISTS streams (
  stream   TEXT PRIMARY KEY,
  revision INTEGER NOT NULL
) WITHOUT ROWID;
`;

export interface EventRow {
  readonly position: number;
  readonly stream: string;
  readonly revision: number;
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
}

export const EVENT_COLUMNS = 'position, stream, revision, type, data, metadata';

// The writer is the only connection that changes the file. WAL lets the reader connection
// read committed data while a commit is in progress; synchronous=FULL makes every commit
// fsync the WAL before it returns, so an acknowledged append survives power loss.
export const openWriter = (file: string): Database.Database => {
  makeDirs(dirname(file));
  const db = new Database(file);
  useWal(db);
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.exec(DDL);
  return db;
};

// Opened after the writer, which has created the file, the schema and the WAL index.
export const openReader = (file: string): Database.Database => {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
};

// Rows are only ever written by this adapter from typed appends, so the metadata is
// trusted here; event data stays `unknown` for the consumers' codecs (schema/events.ts).
// `data` and `metadata` are parsed when first read, once (the answer is kept): a follower that
// only moves its checkpoint past an event never pays for its JSON, and the delivery followers
// skip most of what the other one reads (triage never decodes a MessageTriaged plan, the largest
// rows). They are own enumerable getters, so spreading, JSON.stringify, structured clone and
// deep equality see them as the plain values they stand for; the getters are shared by every
// event and the texts sit in one hidden (non-enumerable) slot, so an event costs about what a
// parsed one did (a getter made per event held caches of events at twice their size).
interface Texts {
  data: string | undefined;
  metadata: string | undefined;
  parsedData: unknown;
  parsedMetadata: EventMetadata | undefined;
}
const TEXTS = Symbol('texts');
type Lazy = { readonly [TEXTS]: Texts };
// Text that is not JSON throws an UnreadableEvent naming the event (kept unparsed, so every
// read of it answers the same): readers tell it from an engine failure and do not retry it.
const parse = (e: unknown, field: 'data' | 'metadata', text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw unreadableEvent(e as { stream: string; position: number }, field, err);
  }
};
const DATA: PropertyDescriptor = {
  enumerable: true,
  get(this: Lazy): unknown {
    const t = this[TEXTS];
    if (t.data !== undefined) {
      t.parsedData = parse(this, 'data', t.data);
      t.data = undefined;
    }
    return t.parsedData;
  },
};
const METADATA: PropertyDescriptor = {
  enumerable: true,
  get(this: Lazy): EventMetadata | undefined {
    const t = this[TEXTS];
    if (t.metadata !== undefined) {
      t.parsedMetadata = parse(this, 'metadata', t.metadata) as EventMetadata;
      t.metadata = undefined;
    }
    return t.parsedMetadata;
  },
};

export const toRecordedEvent = (row: EventRow): RecordedEvent => {
  const e = { stream: row.stream, revision: row.revision, position: row.position, type: row.type };
  const texts: Texts = { data: row.data, metadata: row.metadata, parsedData: undefined, parsedMetadata: undefined };
  Object.defineProperty(e, TEXTS, { value: texts });
  Object.defineProperty(e, 'data', DATA);
  Object.defineProperty(e, 'metadata', METADATA);
  return e as RecordedEvent;
};
