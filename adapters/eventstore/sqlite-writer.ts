import type Database from 'better-sqlite3';
import { revisionMatches } from './revision.js';
import { storedTextsOf } from './stored-texts.js';
import type { AppendResult, EventToAppend, ExpectedRevision } from '../../ports/eventstore.js';

export interface SerializedEvent {
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
}

export interface PendingAppend {
  readonly stream: string;
  readonly expected: ExpectedRevision;
  readonly events: readonly SerializedEvent[];
}

/** Commits a batch of appends in ONE transaction; one result per append, in order. */
export type BatchCommitter = (batch: readonly PendingAppend[]) => AppendResult[];

const toJson = (value: unknown, what: string): string => {
  const json = JSON.stringify(value) as string | undefined;
  if (json === undefined) throw new TypeError(`event ${what} is not JSON-serializable`);
  return json;
};

// Serialized by the caller, before queueing, so an unserializable payload fails its own
// append and never the transaction it would have shared with others.
// An event the chain linked comes with its texts (stored-texts.ts), the very ones it hashed.
export const serializeEvents = (events: readonly EventToAppend[]): SerializedEvent[] =>
  events.map((e) => {
    const stored = storedTextsOf(e);
    if (stored !== undefined) return { type: e.type, data: stored.data, metadata: stored.metadata };
    return { type: e.type, data: toJson(e.data, 'data'), metadata: toJson(e.metadata, 'metadata') };
  });

export const createBatchCommitter = (db: Database.Database): BatchCommitter => {
  const currentRevision = db.prepare<[string], number>('SELECT revision FROM streams WHERE stream = ?').pluck();
  const headPosition = db.prepare<[], number>('SELECT coalesce(max(position), 0) FROM events').pluck();
  const insertEvent = db.prepare<[string, number, string, string, string]>(
    'INSERT INTO events (stream, revision, type, data, metadata) VALUES (?, ?, ?, ?, ?)',
  );
  const setRevision = db.prepare<[string, number]>(
    'INSERT INTO streams (stream, revision) VALUES (?, ?) ON CONFLICT (stream) DO UPDATE SET revision = excluded.revision',
  );

  // Reads inside the transaction see the batch's own earlier writes, so each append is
  // checked against the stream as the appends before it in the batch have left it.
  const applyOne = ({ stream, expected, events }: PendingAppend): AppendResult => {
    const actual = currentRevision.get(stream) ?? -1;
    if (!revisionMatches(expected, actual)) return { kind: 'wrong_expected_revision', stream, expected, actual };
    if (events.length === 0) return { kind: 'appended', nextRevision: actual, position: headPosition.get() ?? 0 };
    let revision = actual;
    let position = 0;
    for (const e of events) {
      revision += 1;
      position = Number(insertEvent.run(stream, revision, e.type, e.data, e.metadata).lastInsertRowid);
    }
    setRevision.run(stream, revision);
    return { kind: 'appended', nextRevision: revision, position };
  };

  // IMMEDIATE takes the write lock up front: a second process writing the same file fails
  // fast (after busy_timeout) instead of deadlocking on a read-to-write upgrade.
  const transaction = db.transaction((batch: readonly PendingAppend[]) => batch.map(applyOne));
  return (batch) => transaction.immediate(batch);
};
