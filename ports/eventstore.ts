import type { EventMetadata } from '../schema/metadata.js';
import type { LogFilter } from '../schema/audit.js';

// The event log port. Vocabulary follows EventStoreDB's client: streams with revisions
// (0-based, -1 means "no stream"), one global order with positions (1-based, strictly
// increasing, possibly with gaps), appends guarded by an expected revision.
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | number;

export interface EventToAppend {
  readonly type: string;
  readonly data: unknown;
  readonly metadata: EventMetadata;
}

export interface RecordedEvent {
  readonly stream: string;
  readonly revision: number;
  readonly position: number;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: EventMetadata;
}

export type AppendResult =
  | { readonly kind: 'appended'; readonly nextRevision: number; readonly position: number }
  | {
      readonly kind: 'wrong_expected_revision';
      readonly stream: string;
      readonly expected: ExpectedRevision;
      readonly actual: number;
    };

export interface ReadStreamOptions {
  /** First revision to return (inclusive). Default 0. */
  readonly fromRevision?: number;
  readonly limit?: number;
}

export interface ReadAllOptions {
  /** Return events with position strictly greater than this. Default 0 (from the start). */
  readonly after?: number;
  readonly limit: number;
}

export interface Subscription {
  close(): Promise<void>;
}

/** Called with batches in log order; the next batch waits until the promise settles. */
export type BatchHandler = (events: readonly RecordedEvent[]) => Promise<void>;

export interface EventStore {
  append(stream: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<AppendResult>;
  read(stream: string, options?: ReadStreamOptions): Promise<readonly RecordedEvent[]>;
  readAll(options: ReadAllOptions): Promise<readonly RecordedEvent[]>;
  /** Catch up from `after`, then deliver live appends, until closed. */
  subscribeAll(after: number, handler: BatchHandler, onError?: (e: unknown) => void): Subscription;
  /** Position of the newest event (0 when empty). */
  head(): Promise<number>;
  close(): Promise<void>;
}

/** An event's position and its metadata's stored link hash (`chain.hash`), when that is a string. */
export interface EventLink {
  readonly position: number;
  readonly hash: string | undefined;
}

/**
 * What an engine may offer beside readAll for the audit checkpoints (adapters/eventstore/
 * checkpoint.ts): the links of the events after `after`, at most `limit`, in log order, read
 * without their data. A link without a hash (an event from before the chain, metadata that
 * does not parse) is read whole by the caller, as before.
 */
export interface LinkReader {
  links(after: number, limit: number): Promise<readonly EventLink[]>;
}

// What auditors ask of the log (api/routes/audit.ts, `msgxc audit export`): events matching
// a filter, and the streams, each paged by position. Answered over readAll by one
// implementation for every engine (adapters/eventstore/audit-log.ts).
export interface LogQuery {
  readonly filter: LogFilter;
  /** Events with a position strictly greater than this. */
  readonly after: number;
  readonly limit: number;
  /** Events read at most for one page; a page may then hold fewer than `limit` and still have a `next`. */
  readonly scanLimit?: number;
}

export interface LogPage {
  readonly events: readonly RecordedEvent[];
  /** Where the next page starts (`after`), or null at the head of the log. */
  readonly next: number | null;
}

export interface StreamSummary {
  readonly stream: string;
  /** Position, time and type of the stream's first event. */
  readonly position: number;
  readonly createdAt: string;
  readonly type: string;
}

export interface StreamPage {
  readonly streams: readonly StreamSummary[];
  readonly next: number | null;
}

export interface AuditLog {
  scan(query: LogQuery): Promise<LogPage>;
  /** One stream's events as stored (personal fields sealed: docs/gdpr.md). */
  read(stream: string, options: ReadStreamOptions): Promise<readonly RecordedEvent[]>;
  /** Streams in the order they were created, optionally only those starting with `prefix`. */
  streams(query: {
    readonly prefix?: string;
    readonly after: number;
    readonly limit: number;
    readonly scanLimit?: number;
  }): Promise<StreamPage>;
}
