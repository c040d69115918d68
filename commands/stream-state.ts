import type { Decoder } from 'io-ts';
import type { EventStore, RecordedEvent } from '../ports/eventstore.js';
import type { Aggregate } from './aggregates.js';
import type { Lru } from './lru.js';

/** A folded stream: its state, the revision it reflects (-1: no events) and the position of that event. */
export interface Snapshot<S> {
  readonly state: S;
  readonly revision: number;
  readonly position: number;
}

// Entries remember which aggregate folded them: states of different deciders are different
// types, and a stream read with the wrong decider must not be handed a foreign state.
export interface CachedSnapshot {
  readonly aggregate: unknown;
  readonly snapshot: Snapshot<unknown>;
}
export type StreamCache = Lru<string, CachedSnapshot>;

export class CorruptEvent extends Error {
  constructor(
    readonly stream: string,
    readonly revision: number,
  ) {
    super(`event ${revision} of stream ${stream} does not match its schema`);
  }
}

const PAGE = 1000;

const decode = <E>(codec: Decoder<unknown, E>, e: RecordedEvent): E => {
  const decoded = codec.decode({ type: e.type, data: e.data });
  if (decoded._tag === 'Left') throw new CorruptEvent(e.stream, e.revision);
  return decoded.right;
};

export const cached = <C, E, S>(cache: StreamCache, stream: string, aggregate: Aggregate<C, E, S>): Snapshot<S> => {
  const entry = cache.get(stream);
  // Sound because the entry was folded by this very aggregate (identity checked).
  if (entry?.aggregate === aggregate) return entry.snapshot as Snapshot<S>;
  return { state: aggregate.initialState(), revision: -1, position: 0 };
};

/** Keeps the newest snapshot: concurrent commands may finish out of order. */
export const remember = <C, E, S>(
  cache: StreamCache,
  stream: string,
  aggregate: Aggregate<C, E, S>,
  snapshot: Snapshot<S>,
): void => {
  const entry = cache.get(stream);
  if (entry?.aggregate === aggregate && entry.snapshot.revision >= snapshot.revision) return;
  cache.set(stream, { aggregate, snapshot });
};

/** Folds whatever the stream gained since `from`, in pages so a long stream is never read at once. */
export const catchUp = async <C, E, S>(
  store: Pick<EventStore, 'read'>,
  stream: string,
  aggregate: Aggregate<C, E, S>,
  from: Snapshot<S>,
): Promise<Snapshot<S>> => {
  let snapshot = from;
  for (;;) {
    const page = await store.read(stream, { fromRevision: snapshot.revision + 1, limit: PAGE });
    let state = snapshot.state;
    for (const e of page) state = aggregate.evolve(state, decode(aggregate.codec, e));
    const last = page[page.length - 1];
    if (last !== undefined) snapshot = { state, revision: last.revision, position: last.position };
    if (page.length < PAGE) return snapshot;
  }
};
