import { isLeft, right } from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import type { RecordedEvent } from '../ports/eventstore.js';
import type { DeadLetter, Followed, FollowedEvent } from '../ports/follower.js';
import { describeErrors } from '../schema/errors.js';
import { LogCheckpointedEvent } from '../schema/audit.js';
import { DELIVERY_GUARDS } from '../schema/delivery-guards.js';
import { DomainEvent, MessagePublished, UsersCheckedIn } from '../schema/events.js';
import { EventMetadata } from '../schema/metadata.js';
import { isUnreadableEvent } from '../schema/unreadable-event.js';

// Decoding a batch read from the log: only the types a handler asked for are decoded (each
// with its own codec, found by type name, not by trying the union), the rest only move the
// checkpoint. What cannot be decoded becomes a dead letter, never a silent skip.

const CODECS: ReadonlyMap<string, t.Decoder<unknown, DomainEvent>> = new Map(
  DomainEvent.types.map((c) => [c.name, c as t.Decoder<unknown, DomainEvent>]),
);
// Types the schema defines outside DomainEvent (a node's presence check-ins): known, so not
// dead letters when they decode, and handed to no DomainEvent handler; they move the checkpoint.
const OUTSIDE: ReadonlyMap<string, t.Decoder<unknown, unknown>> = new Map<string, t.Decoder<unknown, unknown>>([
  [UsersCheckedIn.name, UsersCheckedIn],
  // The audit log's checkpoints (schema/audit.ts): the log's own, no read model's.
  [LogCheckpointedEvent.name, LogCheckpointedEvent],
]);
export const KNOWN_TYPES: ReadonlySet<string> = new Set([...CODECS.keys(), ...OUTSIDE.keys()]);

/** For a type outside DomainEvent: why it does not decode, or '' when it does; undefined for other types. */
export const outsideDomain = (r: RecordedEvent): string | undefined => {
  const codec = OUTSIDE.get(r.type);
  if (codec === undefined) return undefined;
  const decoded = codec.decode({ type: r.type, data: r.data });
  return isLeft(decoded) ? clip(`data: ${describeErrors(decoded.left).join('; ')}`) : '';
};

// Every follower decodes every event's metadata it takes. Its codecs take JSON as it is (no field
// is transformed: decode gives back the very value), so a value `is` accepts is decode's answer,
// without the context objects and Eithers io-ts builds per field (issue 15: a tenth of the search
// worker's allocations); one it refuses is decoded for its errors.
// test/unit/follower/decode-fast.unit.test.ts holds the two answers equal.
const metadataOf = (m: unknown): Either<t.Errors, EventMetadata> =>
  EventMetadata.is(m) ? right(m) : EventMetadata.decode(m);

/** A check-in, for a handler that names UsersCheckedIn in its types: the event, or why it does not decode. */
const decodeCheckIn = (r: RecordedEvent): Followed<FollowedEvent> | string => {
  const event = UsersCheckedIn.decode({ type: r.type, data: r.data });
  if (isLeft(event)) return clip(`data: ${describeErrors(event.left).join('; ')}`);
  const meta = metadataOf(r.metadata);
  if (isLeft(meta)) return clip(`metadata: ${describeErrors(meta.left).join('; ')}`);
  return { event: event.right, position: r.position, revision: r.revision, stream: r.stream, metadata: meta.right };
};

// The delivery events read most (a plan per 500 recipients, a batched claim or outcome per
// group): their codecs take JSON as it is (no field is transformed: decode gives back the
// same value), so a value the codec's guard accepts is what decode would give, without the
// context objects io-ts builds per field; one the guard refuses is decoded for its errors.
// test/unit/follower/decode-fast.unit.test.ts holds the two answers equal.
// The guards are written out by hand (schema/delivery-guards.ts), answering as the codecs' `is`.
// MessagePublished (every message, read by a follower in each of three threads) and every
// event's metadata are answered by their codec's own guard the same way: their codecs transform
// nothing either (refinements of strings, numbers and arrays; `opts`, whose guard refuses the
// -0 its decode would turn into 0), so what the guard accepts the decode gives back as it is,
// the same object. The guard allocates none of the context arrays io-ts's decode builds per
// field: about half the time and most of the ~10 KB a decode of a message allocated (issue 15).
// test/unit/follower/decode-guarded.unit.test.ts holds the two answers equal.
const GUARDS: ReadonlyMap<string, (u: unknown) => boolean> = new Map([
  ...DELIVERY_GUARDS,
  [MessagePublished.name, (u: unknown) => MessagePublished.is(u)],
]);

const REASON_MAX = 500;
export const clip = (s: string): string => (s.length > REASON_MAX ? `${s.slice(0, REASON_MAX - 1)}…` : s);

/** Why `r` does not decode, or undefined when it does (then `decoded` holds it). */
export const decodeOne = (r: RecordedEvent): Followed | string => {
  const codec = CODECS.get(r.type);
  if (codec === undefined) return `unknown event type ${JSON.stringify(r.type.slice(0, 100))}`;
  const candidate = { type: r.type, data: r.data };
  const event = GUARDS.get(r.type)?.(candidate) === true ? right(candidate as DomainEvent) : codec.decode(candidate);
  if (isLeft(event)) return clip(`data: ${describeErrors(event.left).join('; ')}`);
  const meta = metadataOf(r.metadata);
  if (isLeft(meta)) return clip(`metadata: ${describeErrors(meta.left).join('; ')}`);
  return { event: event.right, position: r.position, revision: r.revision, stream: r.stream, metadata: meta.right };
};

// An event whose stored bytes cannot be read (schema/unreadable-event.ts) reads the same on
// every retry: it is a dead letter like one that does not decode, not a failure of the batch
// (which stalled every follower at the batch before it, retried for ever). Undefined: an event
// outside DomainEvent that decodes, which only moves the checkpoint.
const decodeFresh = (r: RecordedEvent, checkIn: boolean): Followed<FollowedEvent> | string | undefined => {
  try {
    const outside = checkIn ? undefined : outsideDomain(r);
    if (outside === '') return undefined;
    return checkIn ? decodeCheckIn(r) : (outside ?? decodeOne(r));
  } catch (e) {
    if (!isUnreadableEvent(e)) throw e;
    return clip(`unreadable: ${e.message}`);
  }
};

// Each event's answer, kept with the event object for as long as it lives: the followers of a
// thread are handed the same event objects (the embedded log's pages share them, the sealed
// store opens a sealed event once for all), and three or four of them on the main thread each
// decoded every message again (issue 15). The answer is a function of the event, which never
// changes (RecordedEvent is readonly; an opening after an erasure is another object): the same
// value, shared like the event it came from. A throw (not an unreadable event) is not kept.
const DECODED = [
  new WeakMap<RecordedEvent, Followed<FollowedEvent> | string | undefined>(),
  new WeakMap<RecordedEvent, Followed<FollowedEvent> | string | undefined>(),
] as const;
const decodeRecord = (r: RecordedEvent, checkIn: boolean): Followed<FollowedEvent> | string | undefined => {
  const kept = DECODED[checkIn ? 1 : 0];
  const known = kept.get(r);
  if (known !== undefined || kept.has(r)) return known;
  const decoded = decodeFresh(r, checkIn);
  kept.set(r, decoded);
  return decoded;
};

export interface DecodedBatch<E extends FollowedEvent = FollowedEvent> {
  /** Events of the handled types that decoded, in log order. */
  readonly events: readonly Followed<E>[];
  /** Events that did not: of a handled type, or of a type the schema does not know. */
  readonly dead: readonly DeadLetter[];
  /** Of `dead`, those whose type the schema does not know. */
  readonly unknown: number;
  /** The newest position in the batch, or `after` when it held nothing new. */
  readonly last: number;
}

/**
 * Decodes the events after `after` (a redelivered prefix is dropped), in log order. Without
 * `types` only domain events come out (check-ins go only to a handler that names them).
 */
export function decodeBatch(
  follower: string,
  batch: readonly RecordedEvent[],
  after: number,
  types: undefined,
  now: () => string,
): DecodedBatch<DomainEvent>;
export function decodeBatch(
  follower: string,
  batch: readonly RecordedEvent[],
  after: number,
  types: ReadonlySet<string> | undefined,
  now: () => string,
): DecodedBatch;
export function decodeBatch(
  follower: string,
  batch: readonly RecordedEvent[],
  after: number,
  types: ReadonlySet<string> | undefined,
  now: () => string,
): DecodedBatch {
  let last = after;
  const events: Followed<FollowedEvent>[] = [];
  const dead: DeadLetter[] = [];
  let unknown = 0;
  for (const r of batch) {
    if (r.position <= last) continue;
    last = r.position;
    const asked = types?.has(r.type) === true;
    const known = KNOWN_TYPES.has(r.type);
    // A type outside the schema is no follower's to ignore: nobody can tell it was not theirs.
    // Checked before anything is decoded: a follower that names its types passes the others
    // (check-ins and the log's checkpoints included) whether they decode or not, so decoding
    // them was work for nothing, done by each such follower (issue 15: two more with the
    // delivery reactors on).
    if (known && types !== undefined && !asked) continue;
    // A check-in goes only to a handler that asked for it by name (decoded once, here); the
    // others just pass it, or take it as a dead letter when it does not decode.
    const checkIn = asked && r.type === UsersCheckedIn.name;
    const decoded = decodeRecord(r, checkIn);
    if (decoded === undefined) continue;
    if (typeof decoded !== 'string') {
      events.push(decoded);
      continue;
    }
    if (!known) unknown += 1;
    dead.push({
      follower,
      position: r.position,
      stream: r.stream,
      type: r.type.slice(0, 200),
      reason: decoded,
      at: now(),
    });
  }
  return { events, dead, unknown, last };
}
