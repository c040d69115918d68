import type { AppendResult, EventStore, EventToAppend, ExpectedRevision } from '../ports/eventstore.js';
import type { EventMetadata } from '../schema/metadata.js';

// The write gateway: every event this node appends gets its metadata here, whoever decided
// it: a command (commands/handler.ts), a delivery reactor (commands/reactors/append.ts) or
// the websocket check-in (commands/check-in.ts). An auditor reads one shape from the log
// whatever wrote the event, and a new metadata field is added in one place.

/** Who and what caused a write. */
export interface Cause {
  /** The caller of a command, or the component that wrote on its own account (a reactor, a node). */
  readonly actor: { readonly uid: string; readonly roles: readonly string[] };
  /** When it was decided: the command's time, or the reactor's clock. */
  readonly at: Date;
  /** Ties every event of one request (or one delivery) together. */
  readonly correlationId: string;
  /** What caused this write: the request (default: the correlation id), or the event a reactor followed. */
  readonly causationId?: string;
  readonly idempotencyKey?: string;
}

/** The id of the `index`-th event of one append. */
export type EventIds = (index: number) => string;

/** A fresh id per event (commands, check-in). */
export const freshIds =
  (newId: () => string): EventIds =>
  () =>
    newId();

/**
 * Ids derived from the stream and the revision the append expects (reactors): a write that is
 * replayed after a crash carries the same ids as the first, and is refused by the revision anyway.
 */
export const revisionIds =
  (stream: string, revision: number): EventIds =>
  (index) =>
    `${stream}@${revision + 1 + index}`;

export const metadataOf = (cause: Cause, eventId: string): EventMetadata => ({
  eventId,
  occurredAt: cause.at.toISOString(),
  actor: { uid: cause.actor.uid, roles: [...cause.actor.roles] },
  correlationId: cause.correlationId,
  causationId: cause.causationId ?? cause.correlationId,
  ...(cause.idempotencyKey !== undefined ? { idempotencyKey: cause.idempotencyKey } : {}),
});

export const stamp = (
  events: readonly { readonly type: string; readonly data: unknown }[],
  cause: Cause,
  ids: EventIds,
): EventToAppend[] => events.map((e, i) => ({ type: e.type, data: e.data, metadata: metadataOf(cause, ids(i)) }));

/** Appends `events` with the metadata `cause` and `ids` give them. */
export const appendStamped = (
  store: Pick<EventStore, 'append'>,
  stream: string,
  events: readonly { readonly type: string; readonly data: unknown }[],
  expected: ExpectedRevision,
  cause: Cause,
  ids: EventIds,
): Promise<AppendResult> => store.append(stream, stamp(events, cause, ids), expected);
