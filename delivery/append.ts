import type { AppendResult, EventStore, ExpectedRevision } from '../ports/eventstore.js';
import type { Clock } from '../ports/clock.js';
import type { TriageEvent } from '../schema/triage-events.js';
import { appendStamped, revisionIds } from '../commands/gateway.js';

// Reactor writes: the expected revision is the guard that makes every effect happen once,
// and event ids are derived from stream and revision, so a replayed write would carry the
// same id as the first (and is refused by the revision anyway).
export const REACTOR_ACTOR = { uid: 'msgxc-reactor', roles: ['system', 'admin'] } as const;

export interface Cause {
  readonly correlationId: string;
  /** The event that caused this write. */
  readonly causationId: string;
}

/** -1 (no event yet) becomes 'no_stream'. */
export const expectedOf = (revision: number): ExpectedRevision => (revision < 0 ? 'no_stream' : revision);

export type ReactorAppend = (
  stream: string,
  events: readonly TriageEvent[],
  revision: number,
  cause: Cause,
) => Promise<AppendResult>;

/** Through the write gateway, with ids derived from the stream and revision (commands/gateway.ts). */
export const reactorAppend =
  (store: EventStore, clock: Clock): ReactorAppend =>
  (stream, events, revision, cause) =>
    appendStamped(
      store,
      stream,
      events,
      expectedOf(revision),
      { actor: REACTOR_ACTOR, at: clock.now(), correlationId: cause.correlationId, causationId: cause.causationId },
      revisionIds(stream, revision),
    );
