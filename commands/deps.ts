import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import type { TaskEither } from 'fp-ts/lib/TaskEither.js';
import type { EventStore } from '../ports/eventstore.js';
import type { PersonalData } from '../ports/keystore.js';
import type { Caller } from '../domain/caller.js';
import { invalid } from '../domain/errors.js';
import type { DomainError } from '../domain/errors.js';
import { UserId } from '../schema/ids.js';
import type { PushHosts } from '../schema/push-endpoint.js';
import type { Aggregate } from './aggregates.js';
import { handle, load } from './handler.js';
import type { Handled, HandlerEnv } from './handler.js';
import type { Lru } from './lru.js';
import type { Snapshot } from './stream-state.js';
import type { CommandContext, FailedToAppend } from './types.js';

export interface CommandDeps {
  readonly store: EventStore;
  readonly env: HandlerEnv;
  /** uid -> position of the answer that recognized them, so repeat calls need no I/O. */
  readonly recognized: Lru<string, number>;
  /** Hosts web push endpoints may name (MSGXC_WEBPUSH_ALLOWED_HOSTS), checked when a device is enlisted. */
  readonly allowedPushHosts: PushHosts;
  /** The log's sealing of personal data, whose keys an erasure destroys (absent: erasure is refused). */
  readonly personal?: PersonalData;
}

export type Failure = DomainError | FailedToAppend;

// The API authenticates the token; its subject still has to be usable as a stream name.
export const callerOf = (ctx: CommandContext): Either<DomainError, Caller> =>
  UserId.is(ctx.actor.uid)
    ? E.right({ uid: ctx.actor.uid, admin: ctx.actor.roles.includes('admin') })
    : E.left(invalid('ActorIdIsInvalid', 'the token subject is not a valid user id'));

export const run =
  <C, Ev extends { readonly type: string; readonly data: unknown }, S>(
    deps: CommandDeps,
    stream: string,
    aggregate: Aggregate<C, Ev, S>,
    command: C,
    ctx: CommandContext,
  ): TaskEither<Failure, Handled<Ev, S>> =>
  () =>
    handle(deps.store, stream, aggregate, command, ctx, deps.env);

export const read =
  <C, Ev, S>(deps: CommandDeps, stream: string, aggregate: Aggregate<C, Ev, S>): TaskEither<Failure, Snapshot<S>> =>
  () =>
    load(deps.store, stream, aggregate, deps.env);

export const positionOf = (h: { readonly position: number }): { readonly position: number } => ({
  position: h.position,
});
