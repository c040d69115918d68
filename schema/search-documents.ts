import * as t from 'io-ts';

// The two searchable documents. Both engines store and return exactly these shapes (every
// field present, `null` when unknown), so documents compare equal across adapters and
// across rebuilds. Codecs decode what comes back from an engine: a foreign or stale document
// is refused at the boundary.

const literals = <L extends string>(values: readonly [L, L, ...L[]], name: string) =>
  t.union(values.map((v) => t.literal(v)) as unknown as [t.LiteralC<L>, t.LiteralC<L>, ...t.LiteralC<L>[]], name);

export const MESSAGE_STATUSES = ['published', 'scheduled', 'cancelled', 'retracted'] as const;
export const MessageStatus = literals(MESSAGE_STATUSES, 'MessageStatus');
export type MessageStatus = t.TypeOf<typeof MessageStatus>;

/**
 * Delivery statuses in rank order: a delivery's `status` is the highest-ranked one it has
 * reached, whatever order the facts arrive in. Receipts (delivered..clicked) outrank
 * dispatch outcomes, so a retried then delivered message reads as delivered.
 */
export const DELIVERY_STATUSES = [
  'retrying',
  'failed',
  'given_up',
  'revoked',
  'delivered',
  'seen',
  'read',
  'clicked',
] as const;
export const DeliveryStatus = literals(DELIVERY_STATUSES, 'DeliveryStatus');
export type DeliveryStatus = t.TypeOf<typeof DeliveryStatus>;
export const deliveryRank = (s: DeliveryStatus): number => DELIVERY_STATUSES.indexOf(s);

export const AUDIENCE_KINDS = ['thread', 'user', 'users', 'everyone'] as const;
export const AudienceKind = literals(AUDIENCE_KINDS, 'AudienceKind');
export type AudienceKind = t.TypeOf<typeof AudienceKind>;

const Nat = t.refinement(t.number, (n) => Number.isInteger(n) && n >= 0, 'Nat');
const Iso = t.refinement(t.string, (s) => !Number.isNaN(Date.parse(s)), 'IsoInstant');
const nullable = <C extends t.Mixed>(c: C) => t.union([c, t.null]);
const byStatus = <C extends t.Mixed>(c: C) =>
  t.type(Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, c])) as Record<DeliveryStatus, C>);

/** Number of distinct recipients per delivery status (sizes of uid sets, never sums). */
export const StatusCounts = byStatus(Nat);
export type StatusCounts = t.TypeOf<typeof StatusCounts>;

export const MessageDoc = t.type(
  {
    mid: t.string,
    tid: nullable(t.string),
    from: t.string,
    audience: AudienceKind,
    /** Addressed users for user/users audiences; null where the audience is resolved on read. */
    recipients: nullable(Nat),
    /** The message text and its subject, as published. */
    text: t.string,
    urgency: t.union([t.literal(1), t.literal(2), t.literal(3), t.literal(4)]),
    at: Iso,
    scheduled: nullable(Iso),
    status: MessageStatus,
    counts: StatusCounts,
  },
  'MessageDoc',
);
export type MessageDoc = t.TypeOf<typeof MessageDoc>;

/** First time (ISO) each status was reached; null when it was not. */
export const StatusTimes = byStatus(nullable(Iso));
export type StatusTimes = t.TypeOf<typeof StatusTimes>;

export const DeliveryDoc = t.type(
  {
    /** `${mid}:${uid}:${channel}` */
    id: t.string,
    mid: t.string,
    uid: t.string,
    channel: t.string,
    status: DeliveryStatus,
    /** Earliest of `times`. */
    at: Iso,
    /** `at` minus the message's due time (scheduled ?? at); null when the message is unknown. */
    latency_ms: nullable(t.number),
    times: StatusTimes,
    /** Why the latest failure happened (dispatch outcomes); null for receipts. */
    reason: nullable(t.string),
    attempts: nullable(Nat),
  },
  'DeliveryDoc',
);
export type DeliveryDoc = t.TypeOf<typeof DeliveryDoc>;

export const deliveryId = (mid: string, uid: string, channel: string): string => `${mid}:${uid}:${channel}`;

export const zeroCounts = (): StatusCounts => Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, 0])) as StatusCounts;
export const noTimes = (): StatusTimes => Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, null])) as StatusTimes;

/** The one ISO form both engines store (millisecond precision, Z). */
export const isoInstant = (s: string): string => new Date(Date.parse(s)).toISOString();
