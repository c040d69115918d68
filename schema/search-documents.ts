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

/**
 * The channels a funnel tells apart: the triage plan's step channels (schema/triage-events.ts).
 * Receipts name other channels too (`api`); those count in the receipt stages, not here.
 */
export const FUNNEL_CHANNELS = ['websocket', 'apns', 'fcm', 'webpush', 'email', 'sms', 'mqtt'] as const;
export type FunnelChannel = (typeof FUNNEL_CHANNELS)[number];
const byChannel = <C extends t.Mixed>(c: C) =>
  t.type(Object.fromEntries(FUNNEL_CHANNELS.map((ch) => [ch, c])) as Record<FunnelChannel, C>);
export const ChannelCounts = byChannel(Nat);
export type ChannelCounts = t.TypeOf<typeof ChannelCounts>;

/** Receipt stages of a funnel, in order: reaching one counts as reaching those before it. */
export const RECEIPT_STAGES = ['delivered', 'seen', 'read', 'clicked'] as const;
export type ReceiptStage = (typeof RECEIPT_STAGES)[number];

/**
 * One message's funnel, each a number of distinct recipients (sizes of sets, never sums):
 * addressed (named in a triage plan), triaged (planned at least one step), attempted/sent per
 * channel (a dispatch claim / success; the websocket: a live-session step, which the realtime
 * layer pushes without recording), sent on any channel, then the receipt stages, each "at least".
 */
export const Funnel = t.type(
  {
    addressed: Nat,
    triaged: Nat,
    attempted: ChannelCounts,
    sent: ChannelCounts,
    sentAny: Nat,
    delivered: Nat,
    seen: Nat,
    read: Nat,
    clicked: Nat,
  },
  'Funnel',
);
export type Funnel = t.TypeOf<typeof Funnel>;

// Copied from a template: the projection makes new zeros for every message it creates and every
// count it sets, and building them from the name lists (Object.fromEntries) was ~2% of the search
// worker's time per send (issue 15). Same keys, in the same order.
const ZERO_CHANNELS = Object.freeze(Object.fromEntries(FUNNEL_CHANNELS.map((c) => [c, 0])) as ChannelCounts);
export const zeroChannels = (): ChannelCounts => ({ ...ZERO_CHANNELS });
export const zeroFunnel = (): Funnel => ({
  addressed: 0,
  triaged: 0,
  attempted: zeroChannels(),
  sent: zeroChannels(),
  sentAny: 0,
  delivered: 0,
  seen: 0,
  read: 0,
  clicked: 0,
});

/**
 * Names of the per-message uid sets the projection keeps (`addToSet`): the delivery statuses
 * (for `counts`) and the funnel's (`f:addressed`, `f:attempted:email`, `f:reached:read`, ...).
 */
export type FunnelSet =
  | 'f:addressed'
  | 'f:triaged'
  | 'f:sent'
  | `f:attempted:${FunnelChannel}`
  | `f:sent:${FunnelChannel}`
  | `f:reached:${ReceiptStage}`;
/** Per-variant funnel sets, `v:<variant>:<stage>` (schema/variant-funnel.ts). */
export type VariantSetName = `v:${string}`;
export type SetName = DeliveryStatus | FunnelSet | VariantSetName;
export const FUNNEL_SETS: readonly FunnelSet[] = [
  'f:addressed',
  'f:triaged',
  'f:sent',
  ...FUNNEL_CHANNELS.map((c) => `f:attempted:${c}` as const),
  ...FUNNEL_CHANNELS.map((c) => `f:sent:${c}` as const),
  ...RECEIPT_STAGES.map((s) => `f:reached:${s}` as const),
];
export const SET_NAMES: readonly SetName[] = [...DELIVERY_STATUSES, ...FUNNEL_SETS];
export const isFunnelChannel = (c: string): c is FunnelChannel => (FUNNEL_CHANNELS as readonly string[]).includes(c);

const CHANNEL_SETS = FUNNEL_CHANNELS.map((c) => [c, `f:attempted:${c}`, `f:sent:${c}`] as const);

/** A message's counts, funnel and channels from the sizes of its sets (both engines use this). */
export const tallies = (
  sizes: ReadonlyMap<string, number>,
): { counts: StatusCounts; funnel: Funnel; channels: FunnelChannel[] } => {
  // Plain loops over precomputed set names: every recount of every message runs this (issue 15).
  const n = (k: string) => sizes.get(k) ?? 0;
  const counts = zeroCounts();
  for (const s of DELIVERY_STATUSES) counts[s] = n(s);
  const attempted = zeroChannels();
  const sent = zeroChannels();
  const channels: FunnelChannel[] = [];
  for (const [c, a, z] of CHANNEL_SETS) {
    attempted[c] = n(a);
    sent[c] = n(z);
    if (attempted[c] + sent[c] > 0) channels.push(c);
  }
  const funnel: Funnel = {
    addressed: n('f:addressed'),
    triaged: n('f:triaged'),
    attempted,
    sent,
    sentAny: n('f:sent'),
    delivered: n('f:reached:delivered'),
    seen: n('f:reached:seen'),
    read: n('f:reached:read'),
    clicked: n('f:reached:clicked'),
  };
  return { counts, funnel, channels };
};

const MessageDocBase = t.type(
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
    /** Funnel stages reached, in distinct recipients (a projection of triage, dispatch and receipts). */
    funnel: Funnel,
    /** Channels a delivery was attempted or sent on (sorted as FUNNEL_CHANNELS). */
    channels: t.array(t.string),
  },
  'MessageDoc',
);
/** A/B variants' names and weights (the texts stay in the log): a receipt's variant is computed from them. */
export const VariantWeights = t.array(t.type({ name: t.string, weight: t.number }));
export type VariantWeights = t.TypeOf<typeof VariantWeights>;
/** Present only for a message with variants, on both engines alike. */
export const MessageDoc = t.intersection([MessageDocBase, t.partial({ variants: VariantWeights })], 'MessageDoc');
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
    /** The message's thread and publication time (null when the message is unknown): funnels scope by them. */
    tid: nullable(t.string),
    msg_at: nullable(Iso),
    /** First read minus the message's due time, rounded up to two significant digits (readMs); null unread. */
    read_ms: nullable(Nat),
  },
  'DeliveryDoc',
);
export type DeliveryDoc = t.TypeOf<typeof DeliveryDoc>;

export const deliveryId = (mid: string, uid: string, channel: string): string => `${mid}:${uid}:${channel}`;

const ZERO_COUNTS = Object.freeze(Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, 0])) as StatusCounts);
export const zeroCounts = (): StatusCounts => ({ ...ZERO_COUNTS });
export const noTimes = (): StatusTimes => Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, null])) as StatusTimes;

/**
 * A time to read as both engines bucket it: rounded up to two significant digits (1234 ms ->
 * 1300 ms), so percentiles are exact counts over at most ~90 values per decade, off by < 10%.
 */
export const readMs = (ms: number): number => {
  if (ms <= 0) return 0;
  const whole = Math.ceil(ms);
  const unit = whole < 100 ? 1 : 10 ** (String(whole).length - 2);
  return Math.ceil(whole / unit) * unit;
};

// An instant already in that form (every time the broker writes: toISOString's) is its own
// answer. Date#toISOString costs a microsecond or two, and the search worker made one per message
// it created (issue 15). Only fields in range take this way: a day past its month's end, hour 24
// or minute/second 60 are moved (or refused) by Date.parse, so they go through it as before.
// test/unit/search/iso-instant.unit.test.ts holds both ways equal on random and edge texts.
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** The number the `n` digits at `i` write (the caller checked they are digits). */
const digits = (s: string, i: number, n: number): number => {
  let v = 0;
  for (let k = 0; k < n; k += 1) v = v * 10 + s.charCodeAt(i + k) - 48;
  return v;
};
const inCanonicalForm = (s: string): boolean => {
  if (!CANONICAL.test(s)) return false;
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  if (mo < 1 || mo > 12 || d < 1 || digits(s, 11, 2) > 23 || digits(s, 14, 2) > 59 || digits(s, 17, 2) > 59)
    return false;
  const leap = mo === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return d <= (MONTH_DAYS[mo - 1] ?? 0) + (leap ? 1 : 0);
};

/** isoInstant by Date alone, whatever the text (the reference the fast way is held to). */
export const isoInstantByDate = (s: string): string => new Date(Date.parse(s)).toISOString();

/** The one ISO form both engines store (millisecond precision, Z). */
export const isoInstant = (s: string): string => (inCanonicalForm(s) ? s : isoInstantByDate(s));
