import * as t from 'io-ts';
import { isRight } from 'fp-ts/lib/Either.js';
import { DeliveryStatus, MessageStatus } from './search-documents.js';
import type { Funnel, MessageDoc } from './search-documents.js';

// Queries the analytics API will send, as codecs: they cross the HTTP boundary there, and
// decoding them here means an adapter never sees an impossible query (a forged cursor, an
// unknown field, a time zone the embedded engine cannot honour).

const Channel = t.refinement(t.string, (s) => /^[a-z][a-z0-9_-]{0,31}$/.test(s), 'Channel');
const Iso = t.refinement(t.string, (s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s)), 'IsoInstant');
const Urgency = t.union([t.literal(1), t.literal(2), t.literal(3), t.literal(4)]);
const Limit = t.refinement(t.number, (n) => Number.isInteger(n) && n >= 1 && n <= 1_000, 'Limit');
const Size = t.refinement(t.number, (n) => Number.isInteger(n) && n >= 1 && n <= 1_000, 'BucketCount');

/** Half-open time range [gte, lt) on a document's `at`. */
export const TimeRange = t.partial({ gte: Iso, lt: Iso }, 'TimeRange');
export type TimeRange = t.TypeOf<typeof TimeRange>;

export const MessageFilter = t.partial(
  {
    /** Every word must occur (words as `words()` splits them), in the text or subject. */
    text: t.string,
    /** One message (a funnel of one). */
    mid: t.string,
    tid: t.string,
    from: t.string,
    urgency: t.partial({ gte: Urgency, lte: Urgency }),
    status: t.array(MessageStatus),
    /** Some recipient reached one of these delivery statuses (the message's `counts` of it > 0). */
    reached: t.array(DeliveryStatus),
    /** A delivery was attempted or sent on one of these channels (the message's `channels`). */
    channel: t.array(Channel),
    at: TimeRange,
  },
  'MessageFilter',
);
export type MessageFilter = t.TypeOf<typeof MessageFilter>;

export const DeliveryFilter = t.partial(
  {
    mid: t.string,
    uid: t.string,
    channel: t.string,
    status: t.array(DeliveryStatus),
    at: TimeRange,
    /** The message's thread and publication time (the scope of a funnel). */
    tid: t.string,
    msgAt: TimeRange,
    /** Only deliveries that were read (read_ms set). */
    read: t.literal(true),
  },
  'DeliveryFilter',
);
export type DeliveryFilter = t.TypeOf<typeof DeliveryFilter>;

// ---- search_after cursor: the sort key of the last hit, (at in ms, mid), newest first.
interface CursorBrand {
  readonly SearchCursor: unique symbol;
}
const CursorKey = t.tuple([t.number, t.string]);
const parseCursor = (s: string): readonly [number, string] | undefined => {
  try {
    const v = CursorKey.decode(JSON.parse(Buffer.from(s, 'base64url').toString('utf8')));
    return isRight(v) && Number.isSafeInteger(v.right[0]) ? v.right : undefined;
  } catch {
    return undefined;
  }
};
export const SearchCursor = t.brand(
  t.string,
  (s): s is t.Branded<string, CursorBrand> => parseCursor(s) !== undefined,
  'SearchCursor',
);
export type SearchCursor = t.TypeOf<typeof SearchCursor>;
export const cursorOf = (doc: Pick<MessageDoc, 'at' | 'mid'>): SearchCursor =>
  Buffer.from(JSON.stringify([Date.parse(doc.at), doc.mid])).toString('base64url') as SearchCursor;
/** The sort key a decoded cursor holds. */
export const cursorKey = (c: SearchCursor): readonly [number, string] => parseCursor(c) ?? [0, ''];

export const SearchMessagesQuery = t.intersection(
  [t.type({ limit: Limit }), t.partial({ filter: MessageFilter, after: SearchCursor })],
  'SearchMessagesQuery',
);
export type SearchMessagesQuery = t.TypeOf<typeof SearchMessagesQuery>;

export interface SearchPage {
  readonly hits: readonly MessageDoc[];
  /** Messages matching the filter in all (every page, not only those after the cursor). */
  readonly total: number;
  /** Cursor for the next (older) page; null when this page reached the end. */
  readonly next: SearchCursor | null;
}

// ---- terms aggregation (count desc, then key asc), one or two levels.
export const MESSAGE_TERMS = ['urgency', 'from', 'tid', 'status', 'audience'] as const;
export const DELIVERY_TERMS = ['channel', 'status', 'uid', 'mid', 'read_ms', 'reason'] as const;
const fields = <F extends string>(fs: readonly [F, F, ...F[]]) =>
  t.union(fs.map((f) => t.literal(f)) as unknown as [t.LiteralC<F>, t.LiteralC<F>, ...t.LiteralC<F>[]]);
export const MessageTermField = fields(MESSAGE_TERMS);
export type MessageTermField = t.TypeOf<typeof MessageTermField>;
export const DeliveryTermField = fields(DELIVERY_TERMS);
export type DeliveryTermField = t.TypeOf<typeof DeliveryTermField>;

const termsOf = <I extends string, F extends t.Mixed, Q extends t.Mixed>(index: I, field: F, filter: Q) =>
  t.intersection([
    t.type({ index: t.literal(index), field, size: Size }),
    t.partial({ filter, then: t.type({ field, size: Size }) }),
  ]);
export const TermsQuery = t.union(
  [termsOf('messages', MessageTermField, MessageFilter), termsOf('deliveries', DeliveryTermField, DeliveryFilter)],
  'TermsQuery',
);
export type TermsQuery = t.TypeOf<typeof TermsQuery>;

export interface TermsBucket {
  /** The value as text (urgency 3 is "3"), the same from every engine. */
  readonly key: string;
  readonly count: number;
  /** The second level, when the query has `then`. */
  readonly buckets?: readonly TermsBucket[];
}

// ---- funnel: the sums of the matching messages' funnels (schema/search-documents.ts Funnel).
export interface FunnelTotals extends Funnel {
  /** Messages matching the filter. */
  readonly messages: number;
}

// ---- date histogram on `at`.
export const INTERVALS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
export type Interval = keyof typeof INTERVALS;
/** UTC or a fixed offset: both engines bucket the same only without daylight-saving rules. */
export const TimeZone = t.refinement(t.string, (s) => s === 'UTC' || /^[+-](0\d|1[0-4]):[0-5]\d$/.test(s), 'TimeZone');
const IntervalC = t.keyof(INTERVALS);
const histogramOf = <I extends string, Q extends t.Mixed>(index: I, filter: Q) =>
  t.intersection([t.type({ index: t.literal(index), interval: IntervalC }), t.partial({ filter, timeZone: TimeZone })]);
export const HistogramQuery = t.union(
  [histogramOf('messages', MessageFilter), histogramOf('deliveries', DeliveryFilter)],
  'HistogramQuery',
);
export type HistogramQuery = t.TypeOf<typeof HistogramQuery>;

export interface HistogramBucket {
  /** Start of the bucket (local midnight/hour/minute in the query's zone), as a UTC instant. */
  readonly key: string;
  readonly count: number;
}

/** Offset of a TimeZone in ms (UTC and +00:00 are 0). */
export const offsetMs = (tz: string | undefined): number => {
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(tz ?? 'UTC');
  if (m === null) return 0;
  const ms = (Number(m[2]) * 60 + Number(m[3])) * 60_000;
  return m[1] === '-' ? -ms : ms;
};

/**
 * Inserts the empty buckets between the first and last non-empty one (what Elasticsearch's
 * `min_doc_count: 0` does). Adapters answer only non-empty buckets; callers that chart use this.
 */
export const fillGaps = (
  buckets: readonly HistogramBucket[],
  interval: Interval,
  maxBuckets = 10_000,
): readonly HistogramBucket[] => {
  const first = buckets[0];
  const last = buckets[buckets.length - 1];
  if (first === undefined || last === undefined) return [];
  const step = INTERVALS[interval];
  const from = Date.parse(first.key);
  const n = Math.min(maxBuckets, Math.round((Date.parse(last.key) - from) / step) + 1);
  const counts = new Map(buckets.map((b) => [Date.parse(b.key), b.count]));
  return Array.from({ length: n }, (_, i) => {
    const key = from + i * step;
    return { key: new Date(key).toISOString(), count: counts.get(key) ?? 0 };
  });
};
