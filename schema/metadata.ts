import * as t from 'io-ts';
import { ChainLink } from './audit.js';
import { LIMITS, Timestamp, boundedArray, boundedString } from './bounds.js';

// Metadata every stored event carries, so an auditor can answer who, when, and why.
// Bounded like event data (schema/bounds.ts): roles come from tokens, which the verifier
// refuses beyond these bounds (api/auth.ts), and ids from the broker or bounded headers.
const Id = boundedString(1, LIMITS.reference);
const Role = boundedString(1, LIMITS.label);
export const Roles = boundedArray(
  Role,
  0,
  LIMITS.roles,
  `list of at most ${LIMITS.roles} roles of 1..${LIMITS.label} characters`,
);

export const Actor = t.type({ uid: boundedString(1, LIMITS.reference), roles: Roles }, 'Actor');
export type Actor = t.TypeOf<typeof Actor>;

export const EventMetadata = t.intersection(
  [
    t.type({
      eventId: Id,
      occurredAt: Timestamp,
      actor: Actor,
      correlationId: Id,
      causationId: Id,
    }),
    // `chain`: the tamper-evident log's link (schema/audit.ts), set by the log, not the writer.
    t.partial({ idempotencyKey: boundedString(1, 255), chain: ChainLink }),
  ],
  'EventMetadata',
);
export type EventMetadata = t.TypeOf<typeof EventMetadata>;

/**
 * The shape a log engine checks when it frames events (JetStream envelopes, EventStoreDB
 * metadata): loose on purpose, so one event with odd metadata is the projections' to judge
 * (decoded with EventMetadata there) rather than a frame the engine cannot read at all.
 */
export const StoredMetadata = t.intersection(
  [
    t.type({
      eventId: t.string,
      occurredAt: t.string,
      actor: t.type({ uid: t.string, roles: t.array(t.string) }),
      correlationId: t.string,
      causationId: t.string,
    }),
    t.partial({ idempotencyKey: t.string }),
  ],
  'StoredMetadata',
);
