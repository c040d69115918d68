import * as t from 'io-ts';
import { Count, LIMITS, boundedArray, boundedInt, boundedString, Timestamp } from './bounds.js';
import { ThreadId, UserId } from './ids.js';
import type { JsonObject } from './json.js';
import { Payload } from './payload.js';
import { CampaignThrottleC } from './throttle.js';
import { Variants } from './variants.js';

// Urgency follows RFC 8030's Urgency header, numbered as in msgxc's table:
// 1 very-low, 2 low, 3 normal, 4 high.
export const Urgency = t.union([t.literal(1), t.literal(2), t.literal(3), t.literal(4)], 'Urgency');
export type Urgency = t.TypeOf<typeof Urgency>;
export const DEFAULT_URGENCY: Urgency = 3;

/** Users one message may name (multicast); the domain dedupes. */
export const Recipients = boundedArray(UserId, 1, LIMITS.recipients, `1..${LIMITS.recipients} user ids`);

// Who a message is addressed to. Broadcasts and threads are stored as one event naming the
// audience, never as one row per recipient: the inbox is resolved when it is read.
export const Audience = t.union(
  [
    t.type({ kind: t.literal('thread'), tid: ThreadId }),
    t.type({ kind: t.literal('user'), uid: UserId }),
    t.type({ kind: t.literal('users'), uids: Recipients }),
    t.type({ kind: t.literal('everyone') }),
    // A segment or query audience over `LIMITS.recipients` users (issue 13, docs/audiences.md):
    // its `count` uids are in `chunks` AudienceChunk events of the stream `audience-<mid>`,
    // appended before this message, in uid order; readers page them, never one list.
    t.type({ kind: t.literal('chunked'), count: Count, chunks: Count }),
  ],
  'Audience',
);
export type Audience = t.TypeOf<typeof Audience>;

export const MessageText = boundedString(1, LIMITS.text);
export const Subject = boundedString(0, LIMITS.subject);
export const TTL_MAX_SECONDS = 28 * 24 * 3600;

// `opts` is free-form (msgxc passed it through to push payloads) but bounded; the keys the
// broker itself interprets are checked here, for the request and the stored event alike, but
// for `throttle` (below).
// Not a t.intersection: io-ts rebuilds an intersection's result by assignment, which would
// turn an own `__proto__` key into a prototype; the payload's own decoded value is kept whole.
const knownOpts = {
  urgency: Urgency,
  ttl: boundedInt(0, TTL_MAX_SECONDS, `seconds (0..${TTL_MAX_SECONDS})`),
  collapse: boundedString(1, LIMITS.label),
  /** A/B variants (schema/variants.ts); the body's top-level `variants` lands here. */
  variants: Variants,
};
const optsCodec = (name: string, known: t.Mixed): t.Type<JsonObject, JsonObject> =>
  new t.Type<JsonObject, JsonObject>(
    name,
    (u): u is JsonObject => Payload.is(u) && known.is(u),
    (u, c) => {
      const payload = Payload.validate(u, c);
      if (payload._tag === 'Left') return payload;
      const checked = known.validate(payload.right, c);
      return checked._tag === 'Left' ? checked : t.success(payload.right);
    },
    t.identity,
  );
/**
 * A request's opts. Typed as a plain JSON object: the deciders re-check the keys they read
 * (domain/message-content.ts). `throttle` is a campaign's own limit (schema/throttle.ts).
 */
export const MessageOpts = optsCodec('opts', t.partial({ ...knownOpts, throttle: CampaignThrottleC }));
/**
 * A stored MessagePublished's opts: `throttle` is not checked, because before it meant
 * something a sender could put anything there, and such an event must still decode (readers
 * apply only a valid one: domain/throttle.ts `campaignRate`). Every request passes MessageOpts.
 */
export const StoredMessageOpts = optsCodec('opts', t.partial(knownOpts));
export type MessageOpts = JsonObject;

/** Stored dates; kept under its old name for the event codecs. */
export const ISODate = Timestamp;
