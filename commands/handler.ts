import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import type { EventStore } from '../ports/eventstore.js';
import type * as t from 'io-ts';
import { invalid } from '../domain/errors.js';
import type { DomainError } from '../domain/errors.js';
import { describeErrors } from '../schema/errors.js';
import type { Aggregate } from './aggregates.js';
import { freshIds, stamp } from './gateway.js';
import type { Cause } from './gateway.js';
import { CorruptEvent, cached, catchUp, remember } from './stream-state.js';
import type { Snapshot, StreamCache } from './stream-state.js';
import type { CommandContext, FailedToAppend } from './types.js';

export interface HandlerEnv {
  readonly cache: StreamCache;
  readonly newId: () => string;
  /** Attempts before a stream that keeps conflicting gives up with FailedToAppend. */
  readonly maxAttempts?: number;
  /**
   * Each stream's last command in this process: commands on one stream take turns. Without
   * them, N requests racing on a busy stream (users joining one thread) make N - 1 conflicts
   * per round, and with 32 at once a third of them ran out of attempts (503). Taking turns,
   * each decides on the state its predecessor left in the cache and appends without a conflict;
   * only writers in other processes can still conflict (the retries remain for them).
   */
  readonly turns?: Map<string, Promise<unknown>>;
}

/** Runs `run` after the stream's earlier commands in `turns` (at once when it has none). */
const inTurn = <R>(turns: HandlerEnv['turns'], stream: string, run: () => Promise<R>): Promise<R> => {
  if (turns === undefined) return run();
  const previous = turns.get(stream);
  const mine = previous === undefined ? run() : previous.then(run, run);
  const done = mine.then(
    () => undefined,
    () => undefined,
  );
  turns.set(stream, done);
  void done.then(() => {
    if (turns.get(stream) === done) turns.delete(stream);
  });
  return mine;
};

export interface Handled<E, S> {
  readonly events: readonly E[];
  readonly state: S;
  /** The last appended event's position, or the log's head when nothing was appended. */
  readonly position: number;
  /** Position of the stream's newest event (0 for an empty stream). */
  readonly streamPosition: number;
}

export const failedToAppend = (msg: string): FailedToAppend => ({ kind: 'unavailable', code: 'FailedToAppend', msg });

/** A command's events are caused by its request: its actor, time, correlation id and idempotency key. */
export const causeOf = (ctx: CommandContext): Cause => ({
  actor: ctx.actor,
  at: ctx.now,
  correlationId: ctx.correlationId,
  ...(ctx.idempotencyKey !== undefined ? { idempotencyKey: ctx.idempotencyKey } : {}),
});

// The last line of write/read symmetry: an event is appended only if the codec that decodes
// it on every read accepts it. The request codecs share those bounds (schema/bounds.ts), so
// this refuses nothing a codec let through unless they drift apart; if they do, the client
// gets a 400 naming the field instead of a 2xx for an event every projection would skip.
const unreadableEvent = <E extends { readonly type: string; readonly data: unknown }>(
  aggregate: { readonly codec: t.Decoder<unknown, E> & { readonly is: t.Is<E> } },
  events: readonly E[],
): DomainError | undefined => {
  for (const e of events) {
    const candidate: unknown = e;
    if (aggregate.codec.is(candidate)) continue;
    const decoded = aggregate.codec.decode(e);
    const detail = decoded._tag === 'Left' ? describeErrors(decoded.left).join('; ') : 'does not match its schema';
    return invalid('EventIsOutOfBounds', `${e.type}: ${detail}`);
  }
  return undefined;
};

// Jittered and growing, so writers that collided do not collide again in lockstep. The cap and
// the attempts (DEFAULT_ATTEMPTS) allow about half a second: a writer in another thread or process
// whose own commands on the stream take turns keeps appending back to back while this one reads
// what it missed, so a hot stream (400 users joining one thread, 32 at once, over two HTTP
// threads) left 1-5 in 400 out of 8 attempts within a 32 ms cap (503).
const backoff = (attempt: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(2 ** attempt, 64)));
const DEFAULT_ATTEMPTS = 12;

// Only failures of the log become FailedToAppend; an exception from a decider is a bug and
// must surface as one, not as "try again later".
class StoreFailure extends Error {}
type StoreIo = Pick<EventStore, 'read' | 'append' | 'head'>;
const io = async <R>(call: () => Promise<R>): Promise<R> => {
  try {
    return await call();
  } catch {
    throw new StoreFailure();
  }
};
const guarded = (store: EventStore): StoreIo => ({
  read: (stream, options) => io(() => store.read(stream, options)),
  append: (stream, events, expected) => io(() => store.append(stream, events, expected)),
  head: () => io(() => store.head()),
});
const isInfrastructure = (e: unknown): boolean => e instanceof StoreFailure || e instanceof CorruptEvent;

/** Folds a stream (from the cache onwards) without deciding anything. */
export const load = async <C, E, S>(
  store: EventStore,
  stream: string,
  aggregate: Aggregate<C, E, S>,
  env: HandlerEnv,
): Promise<Either<FailedToAppend, Snapshot<S>>> => {
  try {
    const snapshot = await catchUp(guarded(store), stream, aggregate, cached(env.cache, stream, aggregate));
    remember(env.cache, stream, aggregate, snapshot);
    return E.right(snapshot);
  } catch (e) {
    if (!isInfrastructure(e)) throw e;
    env.cache.delete(stream);
    return E.left(failedToAppend(`could not read ${stream}`));
  }
};

// `fresh`: decide on the cached snapshot (the initial state for a stream not in the cache)
// without reading the store first. Sound because the append's expected revision rejects a
// stale decision; a refusal or a no-op decided on possibly stale state is not trusted either
// and asks for a read ('stale'). For a brand-new stream (every message id) this saves the
// read on the hot path, and a hot aggregate cached here is decided without I/O.
const attempt = async <C, E extends { readonly type: string; readonly data: unknown }, S>(
  store: StoreIo,
  stream: string,
  aggregate: Aggregate<C, E, S>,
  command: C,
  ctx: CommandContext,
  env: HandlerEnv,
  fresh: boolean,
): Promise<Either<DomainError, Handled<E, S>> | 'conflict' | 'stale'> => {
  const start = cached(env.cache, stream, aggregate);
  const before = fresh ? start : await catchUp(store, stream, aggregate, start);
  if (!fresh) remember(env.cache, stream, aggregate, before);
  const decision = aggregate.decide(command, before.state);
  if (fresh && (E.isLeft(decision) || decision.right.length === 0)) return 'stale';
  if (E.isLeft(decision)) return decision;
  const events = decision.right;
  const unreadable = unreadableEvent(aggregate, events);
  if (unreadable !== undefined) return E.left(unreadable);
  if (events.length === 0) {
    return E.right({ events, state: before.state, position: await store.head(), streamPosition: before.position });
  }
  const expected = before.revision === -1 ? 'no_stream' : before.revision;
  const result = await store.append(stream, stamp(events, causeOf(ctx), freshIds(env.newId)), expected);
  if (result.kind === 'wrong_expected_revision') return 'conflict';
  const after: Snapshot<S> = {
    state: events.reduce(aggregate.evolve, before.state),
    revision: result.nextRevision,
    position: result.position,
  };
  remember(env.cache, stream, aggregate, after);
  return E.right({ events, state: after.state, position: result.position, streamPosition: result.position });
};

/**
 * Decide on the cached state and append with its revision; on a conflict (or a refusal that
 * may come from stale state) read from the cached revision onwards, fold, and decide again.
 * On a conflict the stream is re-read and the pure decision re-run, a bounded number of times.
 */
type Handler = <C, E extends { readonly type: string; readonly data: unknown }, S>(
  store: EventStore,
  stream: string,
  aggregate: Aggregate<C, E, S>,
  command: C,
  ctx: CommandContext,
  env: HandlerEnv,
) => Promise<Either<DomainError | FailedToAppend, Handled<E, S>>>;

export const handle: Handler = (store, stream, aggregate, command, ctx, env) =>
  inTurn(env.turns, stream, () => handleNow(store, stream, aggregate, command, ctx, env));

const handleNow: Handler = async (store, stream, aggregate, command, ctx, env) => {
  const maxAttempts = env.maxAttempts ?? DEFAULT_ATTEMPTS;
  const guardedStore = guarded(store);
  try {
    let fresh = true;
    for (let n = 1; n <= maxAttempts; n++) {
      const outcome = await attempt(guardedStore, stream, aggregate, command, ctx, env, fresh);
      // A refusal decided without reading made no append: read and decide again, same attempt.
      if (outcome === 'stale') {
        fresh = false;
        n -= 1;
        continue;
      }
      if (outcome !== 'conflict') return outcome;
      fresh = false;
      if (n < maxAttempts) await backoff(n);
    }
    return E.left(failedToAppend(`${stream} kept changing; gave up after ${maxAttempts} attempts`));
  } catch (e) {
    if (!isInfrastructure(e)) throw e;
    // The error may carry connection strings or payloads, so only the stream is reported.
    // The append may or may not have landed: forget the cached state rather than trust it.
    env.cache.delete(stream);
    return E.left(failedToAppend(`the event log failed while handling ${stream}`));
  }
};
