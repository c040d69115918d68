import * as t from 'io-ts';
import { MAX_VARIANTS, VariantName } from './variants.js';
import { Count, LIMITS, boundedArray, boundedString } from './bounds.js';
import { DeviceId, MessageId, UserId } from './ids.js';
import { ISODate, Urgency } from './message.js';

// Events of triage, dispatch and the durable timers (issue 6). Two kinds of streams, both
// named after what they are about (domain/triage/keys.ts), so a replay lands on the same
// stream and an expected revision refuses a duplicate:
//
//   triage-<mid>      [MessageDue] MessageTriaged{batch 0} MessageTriaged{batch 1} ...
//     MessageDue: a scheduled message's time came (written once, by the scheduler).
//     MessageTriaged: the plan for one batch of recipients (at most `batchSize`), with the
//     cursor to continue from (`next`), absent on the last batch; recipients planned only the
//     websocket are listed by uid (`live`, `liveAt`), or by reference to an identical list
//     written earlier (`liveOf`, `liveAt`).
//   delivery-<mid>/<uid>/<channel>[/<deviceId>]   one planned step of one recipient
//   digest-<uid>/<channel>/<window start>          very-low urgency email/SMS of one window
//     DeliveryAttempted (the claim, written BEFORE the provider is called), then one of
//     DeliverySucceeded | DeliveryFailed + (DeliveryRetryScheduled | DeliveryGivenUp);
//     or DeliverySkipped (seen, read, expired, ...) instead of an attempt.
//
// Timers are not events of their own: a timer is a time named by one of these events
// (MessagePublished.scheduled, a step's `at`, a claim's `leaseUntil`, a retry's `at`, a
// digest window's end), indexed by the timers read model (projections/timers).
const ev = <N extends string, P extends t.Props>(type: N, props: P) =>
  t.type({ type: t.literal(type), data: t.type(props) }, type);
const evp = <N extends string, P extends t.Props, O extends t.Props>(type: N, props: P, optional: O) =>
  t.type({ type: t.literal(type), data: t.intersection([t.type(props), t.partial(optional)]) }, type);
const lits = <L extends string>(name: string, ...ls: [L, L, ...L[]]) =>
  t.union(ls.map((l) => t.literal(l)) as unknown as [t.LiteralC<L>, t.LiteralC<L>, ...t.LiteralC<L>[]], name);

// Strings that come from providers (reasons, ids) are clipped to these bounds where the
// events are made (commands/reactors/outcomes.ts), so every outcome can be written and read.
const Reason = boundedString(0, LIMITS.reason);
const Reference = boundedString(0, LIMITS.reference);
const Tag = boundedString(0, LIMITS.tag);

export const StepChannel = lits('StepChannel', 'websocket', 'apns', 'fcm', 'webpush', 'email', 'sms', 'mqtt');
/** Channels dispatch performs (the websocket is the realtime layer's). */
export const DispatchChannel = lits('DispatchChannel', 'apns', 'fcm', 'webpush', 'email', 'sms', 'mqtt');
export type DispatchChannel = t.TypeOf<typeof DispatchChannel>;
export const StepReason = lits(
  'StepReason',
  'live-session',
  'offline',
  'unseen',
  'unread',
  'no-device',
  'high-urgency',
  'topic',
);
export const SkipReason = lits(
  'SkipReason',
  'seen',
  'read',
  'expired',
  'cancelled',
  'collapsed',
  'opted-out',
  'unreachable',
);

export const PlannedStepC = t.intersection(
  [
    t.type({ channel: StepChannel, at: ISODate, reason: StepReason }),
    t.partial({
      deviceId: DeviceId,
      digest: ISODate,
      // Moved later by the recipient's quiet hours (docs/campaigns.md): from when, and why.
      deferred: t.type({ reason: t.literal('quiet-hours'), from: ISODate }),
    }),
  ],
  'PlannedStep',
);
export type PlannedStepData = t.TypeOf<typeof PlannedStepC>;
export const RecipientPlanC = t.type(
  { uid: UserId, online: t.boolean, steps: boundedArray(PlannedStepC, 0, LIMITS.steps) },
  'RecipientPlan',
);
export type RecipientPlanData = t.TypeOf<typeof RecipientPlanC>;

const VariantAssignment = t.refinement(
  t.record(VariantName, boundedArray(UserId, 1, LIMITS.recipients)),
  (r) => Object.keys(r).length <= MAX_VARIANTS,
  'VariantAssignment',
);

/** Where a referenced live list is written (MessageTriaged `liveOf`). */
export const LiveRef = t.type({ mid: MessageId, batch: Count, count: Count }, 'LiveRef');
export type LiveRef = t.TypeOf<typeof LiveRef>;

export const MessageDue = ev('MessageDue', { mid: MessageId, due: ISODate });
export const MessageTriaged = evp(
  'MessageTriaged',
  {
    mid: MessageId,
    batch: Count,
    due: ISODate,
    expiresAt: ISODate,
    urgency: Urgency,
    recipients: boundedArray(RecipientPlanC, 0, LIMITS.recipients),
  },
  {
    next: Tag,
    collapse: boundedString(1, LIMITS.label),
    /** Nobody was planned for: the message had expired, or was cancelled, when it came to triage. */
    skipped: lits('TriageSkipped', 'expired', 'cancelled'),
    /**
     * Recipients whose whole plan is the websocket at `liveAt` (`live-session`: online, nothing
     * else to try), by uid only: the realtime layer delivers it, dispatch has nothing to do,
     * and a uid costs a fraction of a full plan to write and read. Each is explained as if it
     * were `{uid, online: true, steps: [{channel: 'websocket', at: liveAt, reason: 'live-session'}]}`.
     */
    live: boundedArray(UserId, 1, LIMITS.recipients),
    liveAt: ISODate,
    /**
     * Instead of `live`: the same list as an earlier batch's `live` (issue 15), written by
     * reference when triage met the same page of the same thread with nothing it plans from
     * changed (delivery/facts-memo.ts). It names the MessageTriaged that carries the list itself
     * (stream `triage-<mid>`, that `batch`; never one that is itself a reference) and its length.
     * Its uids are explained and counted exactly as if they were written here, at this `liveAt`.
     */
    liveOf: LiveRef,
    /**
     * A/B variant assignment (docs/campaigns.md): every recipient of this batch (planned or
     * `live`) under the name of the variant they receive; absent for a message without variants.
     */
    variants: VariantAssignment,
  },
);

// Every delivery event names its unit: `key` (its stream without the prefix), the recipient,
// the channel, and the message (`mid`), or the messages of a digest (`mids`, `digest`).
const ref = { key: Reference, uid: UserId, channel: DispatchChannel };
// A digest carries the messages of one window; the dispatcher sends at most this many.
const refOptional = {
  mid: MessageId,
  deviceId: DeviceId,
  mids: boundedArray(MessageId, 0, LIMITS.recipients),
  digest: ISODate,
};

const FailureKind = lits('FailureKind', 'retry', 'failed', 'gone');

export const DeliveryAttempted = evp(
  'DeliveryAttempted',
  {
    ...ref,
    attempt: Count,
    node: Tag,
    run: Tag,
    leaseUntil: ISODate,
  },
  refOptional,
);
export const DeliverySucceeded = evp(
  'DeliverySucceeded',
  { ...ref, attempt: Count },
  { ...refOptional, providerId: Reference },
);
export const DeliveryFailed = evp(
  'DeliveryFailed',
  {
    ...ref,
    attempt: Count,
    reason: Reason,
    outcome: FailureKind,
  },
  refOptional,
);
export const DeliveryRetryScheduled = evp(
  'DeliveryRetryScheduled',
  { ...ref, attempt: Count, afterMs: Count, at: ISODate },
  refOptional,
);
export const DeliveryGivenUp = evp('DeliveryGivenUp', { ...ref, attempts: Count, reason: Reason }, refOptional);
export const DeliverySkipped = evp('DeliverySkipped', { ...ref, reason: SkipReason }, refOptional);

// Batched delivery events (issues 13, 15): the steps of one channel of one triage batch share
// one stream, `deliveries-<mid>/<channel>/<batch>` (domain/triage/keys.ts `groupStream`), and
// dispatch records what it did to many of them in one event per step: the claims it took, the
// skips it decided, the provider's answers. Each entry names its unit by uid (and device); the
// unit's key is `<mid>/<uid>/<channel>[/<deviceId>]` as before. Every consumer reads them
// through domain/delivery/batches.ts `expandDeliveries`, which yields the per-unit events above
// (logs written before still replay: the per-unit types stay decodable and handled).
const entry = <P extends t.Props, O extends t.Props>(name: string, props: P, optional: O) =>
  t.intersection([t.type({ uid: UserId, ...props }), t.partial({ deviceId: DeviceId, ...optional })], name);
/** Entries in one batched delivery event (dispatch chunks larger groups). */
export const BATCH_ENTRIES = 1000;

export const ClaimEntry = entry('ClaimEntry', { attempt: Count }, {});
export const OutcomeEntry = entry(
  'OutcomeEntry',
  { attempt: Count },
  {
    /** Delivered (with the provider's id when it gave one). */
    sent: t.partial({ providerId: Reference }),
    failed: t.type({ reason: Reason, outcome: FailureKind }),
    /** After a failure: the next attempt and when. */
    retry: t.type({ afterMs: Count, at: ISODate }),
    /** After a failure: no more attempts. */
    gaveUp: t.type({ attempts: Count, reason: Reason }),
  },
);
export const SkipEntry = entry('SkipEntry', { reason: SkipReason }, {});
const group = { mid: MessageId, channel: DispatchChannel };

export const DeliveriesClaimed = ev('DeliveriesClaimed', {
  ...group,
  node: Tag,
  run: Tag,
  leaseUntil: ISODate,
  claims: boundedArray(ClaimEntry, 1, BATCH_ENTRIES),
});
export const DeliveriesSent = ev('DeliveriesSent', {
  ...group,
  outcomes: boundedArray(OutcomeEntry, 1, BATCH_ENTRIES),
});
export const DeliveriesSkipped = ev('DeliveriesSkipped', {
  ...group,
  skips: boundedArray(SkipEntry, 1, BATCH_ENTRIES),
});

/** Spread into schema/events.ts's DomainEvent union. */
export const TRIAGE_EVENTS = [
  MessageDue,
  MessageTriaged,
  DeliveryAttempted,
  DeliverySucceeded,
  DeliveryFailed,
  DeliveryRetryScheduled,
  DeliveryGivenUp,
  DeliverySkipped,
  DeliveriesClaimed,
  DeliveriesSent,
  DeliveriesSkipped,
] as const;

export const TriageEvent = t.union([...TRIAGE_EVENTS], 'TriageEvent');
export type TriageEvent = t.TypeOf<typeof TriageEvent>;
export type TriageEventOf<T extends TriageEvent['type']> = Extract<TriageEvent, { type: T }>;
export type BatchDeliveryEvent = TriageEventOf<'DeliveriesClaimed' | 'DeliveriesSent' | 'DeliveriesSkipped'>;
/** The per-unit delivery events (what a batched one expands to). */
export type DeliveryEvent = Exclude<TriageEvent, { type: 'MessageDue' | 'MessageTriaged' } | BatchDeliveryEvent>;
export type ClaimEntry = t.TypeOf<typeof ClaimEntry>;
export type OutcomeEntry = t.TypeOf<typeof OutcomeEntry>;
export type SkipEntry = t.TypeOf<typeof SkipEntry>;

/** The `live` list of `batch` among a triage stream's events (a reference's root); undefined if not there. */
export const liveListOf = (
  events: readonly { readonly type: string; readonly data: unknown }[],
  batch: number,
): readonly UserId[] | undefined => {
  for (const e of events) {
    if (e.type !== 'MessageTriaged') continue;
    const d = e.data as { readonly batch?: unknown; readonly live?: unknown };
    if (d.batch !== batch) continue;
    const decoded = MessageTriaged.decode(e);
    return decoded._tag === 'Right' ? decoded.right.data.live : undefined;
  }
  return undefined;
};

/**
 * Every recipient of a triage batch as a full plan: the `live` uids read as the plan they
 * stand for (`{uid, online: true, steps: [websocket at liveAt, live-session]}`), after the
 * batch's full plans. For readers that count recipients (the search projection's funnel).
 */
export const triagedRecipients = (d: {
  readonly recipients: readonly RecipientPlanData[];
  readonly due: string;
  readonly live?: readonly RecipientPlanData['uid'][];
  readonly liveAt?: string;
}): readonly RecipientPlanData[] => {
  if (d.live === undefined) return d.recipients;
  const at = d.liveAt ?? d.due;
  return [
    ...d.recipients,
    ...d.live.map(
      (uid): RecipientPlanData => ({
        uid,
        online: true,
        steps: [{ channel: 'websocket', at, reason: 'live-session' }],
      }),
    ),
  ];
};
