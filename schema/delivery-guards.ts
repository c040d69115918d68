import { LIMITS } from './bounds.js';
import { MessageId, UserId } from './ids.js';
import { ISODate } from './message.js';
import {
  BATCH_ENTRIES,
  ClaimEntry,
  DeliveriesClaimed,
  DeliveriesSent,
  DeliveriesSkipped,
  MessageTriaged,
  OutcomeEntry,
  PlannedStepC,
  SkipEntry,
} from './triage-events.js';

// The guards (`is`) of the delivery events a follower reads most (a plan per 500 recipients, a
// batched claim, skip or outcome per group), written out by hand: io-ts's guard answers a
// union of literals with `codecs.some(closure)` and an intersection with `codecs.every(closure)`,
// a closure and a walk over the members for every channel, reason and entry, which made the
// guard 4 % of the main thread and 5 % of its allocations in a 100,000-user broadcast
// (BENCHMARKS.md "(branch bcastgc, issue 13)"). These accept exactly what the codecs' own guards
// accept (test/unit/schema/delivery-guards.unit.test.ts, over generated events, one-field
// mutations and non-JSON values): the leaves are the codecs' own guards (ids, counts, dates,
// bounded strings), literal unions are sets of the same literals, arrays are checked with
// `every` as io-ts does (holes skipped), and the optional parts (a step's device, digest and
// deferral, an outcome's details, a plan's optional fields) are the codecs' own guards of
// those parts (a partial's guard walks its keys without allocating).

type Rec = Record<string, unknown>;

/** io-ts's UnknownRecord. */
const isRecord = (u: unknown): u is Rec => u !== null && typeof u === 'object' && !Array.isArray(u);

const literals = (codec: { readonly types: readonly { readonly value: string }[] }): ReadonlySet<unknown> =>
  new Set(codec.types.map((c) => c.value));

const [stepRequired, stepOptional] = PlannedStepC.types;
const STEP_CHANNELS = literals(stepRequired.props.channel);
const STEP_REASONS = literals(stepRequired.props.reason);
const [triagedRequired, triagedOptional] = MessageTriaged.props.data.types;
const [, claimOptional] = ClaimEntry.types;
const [, outcomeOptional] = OutcomeEntry.types;
const [skipRequired, skipOptional] = SkipEntry.types;
const SKIP_REASONS = literals(skipRequired.props.reason);
const DISPATCH_CHANNELS = literals(DeliveriesClaimed.props.data.props.channel);
const tagOf = DeliveriesClaimed.props.data.props.node;

const isUserId = (u: unknown): boolean => UserId.is(u);
const isDate = (u: unknown): boolean => ISODate.is(u);
const isCount = (u: unknown): boolean => triagedRequired.props.batch.is(u);

const isStep = (s: unknown): boolean =>
  isRecord(s) &&
  STEP_CHANNELS.has(s['channel']) &&
  isDate(s['at']) &&
  STEP_REASONS.has(s['reason']) &&
  // deviceId, digest, deferred: io-ts's guard of a partial walks its keys without a closure.
  stepOptional.is(s);

const isRecipient = (r: unknown): boolean => {
  if (!isRecord(r)) return false;
  const steps = r['steps'];
  return (
    isUserId(r['uid']) &&
    typeof r['online'] === 'boolean' &&
    Array.isArray(steps) &&
    steps.length <= LIMITS.steps &&
    steps.every(isStep)
  );
};

const isUrgency = (u: unknown): boolean => u === 1 || u === 2 || u === 3 || u === 4;

const isTriaged = (d: unknown): boolean => {
  if (!isRecord(d)) return false;
  const recipients = d['recipients'];
  return (
    MessageId.is(d['mid']) &&
    isCount(d['batch']) &&
    isDate(d['due']) &&
    isDate(d['expiresAt']) &&
    isUrgency(d['urgency']) &&
    Array.isArray(recipients) &&
    recipients.length <= LIMITS.recipients &&
    recipients.every(isRecipient) &&
    triagedOptional.is(d)
  );
};

const isEntries = (a: unknown, entry: (e: unknown) => boolean): boolean =>
  Array.isArray(a) && a.length >= 1 && a.length <= BATCH_ENTRIES && a.every(entry);

const isClaim = (e: unknown): boolean =>
  isRecord(e) && isUserId(e['uid']) && isCount(e['attempt']) && claimOptional.is(e);
const isOutcome = (e: unknown): boolean =>
  isRecord(e) && isUserId(e['uid']) && isCount(e['attempt']) && outcomeOptional.is(e);
const isSkip = (e: unknown): boolean =>
  isRecord(e) && isUserId(e['uid']) && SKIP_REASONS.has(e['reason']) && skipOptional.is(e);

const isGroup = (d: Rec): boolean => MessageId.is(d['mid']) && DISPATCH_CHANNELS.has(d['channel']);

const isClaimed = (d: unknown): boolean =>
  isRecord(d) &&
  isGroup(d) &&
  tagOf.is(d['node']) &&
  tagOf.is(d['run']) &&
  isDate(d['leaseUntil']) &&
  isEntries(d['claims'], isClaim);
const isSent = (d: unknown): boolean => isRecord(d) && isGroup(d) && isEntries(d['outcomes'], isOutcome);
const isSkipped = (d: unknown): boolean => isRecord(d) && isGroup(d) && isEntries(d['skips'], isSkip);

const event =
  (type: string, data: (d: unknown) => boolean) =>
  (u: unknown): boolean =>
    isRecord(u) && u['type'] === type && data(u['data']);

/** By event type: a guard answering as that type's codec's `is`. */
export const DELIVERY_GUARDS: ReadonlyMap<string, (u: unknown) => boolean> = new Map([
  [MessageTriaged.name, event(MessageTriaged.name, isTriaged)],
  [DeliveriesClaimed.name, event(DeliveriesClaimed.name, isClaimed)],
  [DeliveriesSent.name, event(DeliveriesSent.name, isSent)],
  [DeliveriesSkipped.name, event(DeliveriesSkipped.name, isSkipped)],
]);
