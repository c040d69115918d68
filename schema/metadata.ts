import * as t from 'io-ts';

// Metadata every stored event carries, so an auditor can answer who, when, and why.
export const Actor = t.type({ uid: t.string, roles: t.array(t.string) }, 'Actor');
export type Actor = t.TypeOf<typeof Actor>;

export const EventMetadata = t.intersection([
  t.type({
    eventId: t.string,
    occurredAt: t.string,
    actor: Actor,
    correlationId: t.string,
    causationId: t.string,
  }),
  t.partial({ idempotencyKey: t.string }),
], 'EventMetadata');
export type EventMetadata = t.TypeOf<typeof EventMetadata>;
