import * as TE from 'fp-ts/lib/TaskEither.js';
import type { TaskEither } from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { Caller } from '../domain/caller.js';
import { chooseDeletion } from '../domain/message-deletion.js';
import type { Deletion } from '../domain/message-deletion.js';
import { managesThread } from '../domain/thread-state.js';
import { streams } from '../schema/events.js';
import type { MessageId } from '../schema/ids.js';
import { inboxes, messages } from './aggregates.js';
import { callerOf, run } from './deps.js';
import type { CommandDeps, Failure } from './deps.js';
import { messageContext } from './message-context.js';
import type { MessageContext } from './message-context.js';
import type { Commands, CommandContext } from './types.js';

type Deleted = { readonly effect: 'retracted' | 'deleted_from_inbox'; readonly position: number };

const perform =
  (deps: CommandDeps, ctx: CommandContext, caller: Caller, mid: MessageId, { thread }: MessageContext) =>
  (choice: Deletion): TaskEither<Failure, Deleted> =>
    choice === 'retract'
      ? pipe(
          run(
            deps,
            streams.message(mid),
            messages,
            { type: 'Retract', mid, caller, managesThread: managesThread(thread, caller) },
            ctx,
          ),
          TE.map((h) => ({ effect: 'retracted', position: h.position })),
        )
      : pipe(
          run(deps, streams.inbox(caller.uid), inboxes, { type: 'DeleteFromInbox', uid: caller.uid, mids: [mid] }, ctx),
          TE.map((h) => ({ effect: 'deleted_from_inbox', position: h.position })),
        );

export const deleteMessage =
  (deps: CommandDeps): Commands['deleteMessage'] =>
  (ctx, mid) =>
    pipe(
      TE.fromEither(callerOf(ctx)),
      TE.flatMap((caller) =>
        pipe(
          messageContext(deps, mid, caller.uid),
          TE.flatMap((context) =>
            pipe(
              TE.fromEither(chooseDeletion(context.message, context.thread, caller, context.listed)),
              TE.flatMap(perform(deps, ctx, caller, mid, context)),
            ),
          ),
        ),
      ),
    )();
