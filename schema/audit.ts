import * as t from 'io-ts';
import { LIMITS, Timestamp, boundedArray, boundedInt, boundedString, dayIsInMonth } from './bounds.js';

// What auditors send and what the tamper-evident log stores (docs/audit.md).

/** A SHA-256 digest, lower-case hex. */
export const Digest = t.refinement(t.string, (s) => /^[0-9a-f]{64}$/.test(s), 'SHA-256 hex digest');

/**
 * The link every event appended since the chain was introduced carries in its metadata:
 * `hash` = SHA-256 of `prev` and the event's canonical content (stream, revision, type, data,
 * metadata without this link); `prev` = the previous event of the stream's `hash`, or
 * GENESIS for a stream's first event, or UNCHAINED when the previous event predates the chain.
 */
export const ChainLink = t.type({ prev: t.string, hash: Digest }, 'ChainLink');
export type ChainLink = t.TypeOf<typeof ChainLink>;
export const GENESIS = '0'.repeat(64);
export const UNCHAINED = 'unchained';

/** The stream holding the checkpoints over the global order. */
export const CHECKPOINT_STREAM = 'audit-checkpoints';
export const CHECKPOINT_TYPE = 'LogCheckpointed';

/**
 * A checkpoint: `hash` = SHA-256 over the previous checkpoint's hash and one line per event
 * with a position in (`after`, `upTo`], in log order (see adapters/eventstore/chain.ts).
 * The followers know this type (follower/decode.ts): it moves their checkpoint, no handler's.
 */
export const LogCheckpointed = t.type(
  {
    after: boundedInt(0, Number.MAX_SAFE_INTEGER),
    upTo: boundedInt(1, Number.MAX_SAFE_INTEGER),
    events: boundedInt(1, Number.MAX_SAFE_INTEGER),
    prev: t.string,
    hash: Digest,
  },
  'LogCheckpointedData',
);
export type LogCheckpointed = t.TypeOf<typeof LogCheckpointed>;
/** The stored event, as the follower decodes types outside DomainEvent (follower/decode.ts). */
export const LogCheckpointedEvent = t.type(
  { type: t.literal(CHECKPOINT_TYPE), data: LogCheckpointed },
  CHECKPOINT_TYPE,
);

// ---- filters (HTTP query, CLI flags). Every field optional; all given must match.
const EventType = boundedString(1, LIMITS.label, 'event type of 1..64 characters');
/** A time bound a caller typed: a day its month does not have is refused (Date.parse moves 2026-02-30 to March 2). */
const TimeBound = t.refinement(Timestamp, dayIsInMonth, 'ISO-8601 date-time between 1970 and 9999');
export const LogFilter = t.partial(
  {
    /** Any of these event types. */
    type: boundedArray(EventType, 1, 32, 'comma-separated list of 1..32 event types'),
    /** Streams whose name starts with this. */
    stream: boundedString(1, 200, 'stream name prefix of 1..200 characters'),
    /** metadata.actor.uid */
    actor: boundedString(1, LIMITS.reference, 'user id of 1..1024 characters'),
    correlationId: boundedString(1, LIMITS.reference, 'correlation id of 1..1024 characters'),
    /** metadata.occurredAt >= from (inclusive) */
    from: TimeBound,
    /** metadata.occurredAt < to (exclusive) */
    to: TimeBound,
  },
  'LogFilter',
);
export type LogFilter = t.TypeOf<typeof LogFilter>;

/** The query string names of the filter fields (`type` is a comma-separated list). */
export const FILTER_PARAMS = ['type', 'stream', 'actor', 'correlationId', 'from', 'to'] as const;

/** Reads a filter from query parameters: a repeated or unknown field is the caller's to report. */
export const filterInput = (get: (name: string) => string | null): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const name of FILTER_PARAMS) {
    const raw = get(name);
    if (raw === null || raw === '') continue;
    if (name === 'type') out['type'] = raw.split(',');
    else out[name] = raw;
  }
  return out;
};

/** The time bounds compared as stored (toISOString), whatever ISO form the caller wrote. */
export const normalizeFilter = (f: LogFilter): LogFilter => ({
  ...f,
  ...(f.from !== undefined ? { from: new Date(f.from).toISOString() } : {}),
  ...(f.to !== undefined ? { to: new Date(f.to).toISOString() } : {}),
});
