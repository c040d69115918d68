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

// One append is one JetStream message, which the server refuses over its max_payload (1 MB by
// default) with MAX_PAYLOAD_EXCEEDED, where the embedded log takes any size: a reactor append
// over it failed on every try, for ever. Reactors whose appends grow with an audience or a
// provider's answers keep each under this many bytes of event data (JSON), on every log, so
// they behave alike on both stacks. Half the default max_payload leaves room for the events'
// metadata and the chain's fields.
export const REACTOR_APPEND_BYTES = 512 * 1024;

/** The bytes of the events' data as JSON, as the log will store it. */
export const dataBytes = (events: readonly { readonly data: unknown }[]): number => {
  let n = 0;
  for (const e of events) n += Buffer.byteLength(JSON.stringify(e.data));
  return n;
};

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
