import * as TE from 'fp-ts/lib/TaskEither.js';
import type { TaskEither } from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { Caller } from '../domain/caller.js';
import { checkContent } from '../domain/message-content.js';
import { mayPublish, threadNotFound } from '../domain/thread.js';
import { canSeeThread, threadUrgency } from '../domain/thread-state.js';
import type { ThreadState } from '../domain/thread-state.js';
import { streams } from '../schema/events.js';
import type { MessageId, ThreadId } from '../schema/ids.js';
import { messages, threads } from './aggregates.js';
import { callerOf, read, run } from './deps.js';
import type { CommandDeps, Failure } from './deps.js';
import { publishMessage } from './publish-message.js';
import type { Commands, CommandContext, MessageContent } from './types.js';

// The thread a message is published to. Publishing to a thread nobody has created claims it:
// the publisher owns the new, private thread, and the ThreadCreated that records the claim is
// this command's decision, appended before the message. Publishing to an existing thread
// writes nothing to it: the caller only needs publish rights there.
const reachable = (state: ThreadState, caller: Caller): boolean =>
  state.stage === 'Active' && (state.settings.openp || canSeeThread(state, caller));

// Without a claim (the onadata routes: a target must exist), an unknown thread and one the
// caller may neither see nor publish to are both ThreadNotFound, as everywhere else.
const threadToPublishTo = (
  deps: CommandDeps,
  ctx: CommandContext,
  caller: Caller,
  tid: ThreadId,
  claim: boolean,
): TaskEither<Failure, ThreadState> =>
  pipe(
    read(deps, streams.thread(tid), threads),
    TE.flatMap(({ state }) =>
      !claim && !reachable(state, caller)
        ? TE.left(threadNotFound)
        : state.stage === 'Absent'
          ? pipe(
              run(deps, streams.thread(tid), threads, { type: 'ClaimThread', tid, caller }, ctx),
              TE.map((claimed) => claimed.state),
            )
          : pipe(
              TE.fromEither(mayPublish(state, caller)),
              TE.map(() => state),
            ),
    ),
  );

// Content is checked before the thread is touched, so bad input never claims a thread.
const firstPublication = (
  deps: CommandDeps,
  ctx: CommandContext,
  caller: Caller,
  mid: MessageId,
  tid: ThreadId,
  content: MessageContent,
  claim: boolean,
) =>
  pipe(
    TE.fromEither(checkContent(content, ctx.now)),
    TE.flatMap(() => threadToPublishTo(deps, ctx, caller, tid, claim)),
    TE.flatMap((thread) =>
      publishMessage(deps, ctx, caller, mid, { kind: 'thread', tid }, content, threadUrgency(thread)),
    ),
  );

// A retry only needs the thread's default urgency to compare with what was stored.
const repeatedPublication = (
  deps: CommandDeps,
  ctx: CommandContext,
  caller: Caller,
  mid: MessageId,
  tid: ThreadId,
  content: MessageContent,
) =>
  pipe(
    read(deps, streams.thread(tid), threads),
    TE.flatMap((thread) =>
      publishMessage(deps, ctx, caller, mid, { kind: 'thread', tid }, content, threadUrgency(thread.state)),
    ),
  );

export const publish =
  (deps: CommandDeps): Commands['publish'] =>
  (ctx, mid, tid, content, options) =>
    pipe(
      TE.fromEither(callerOf(ctx)),
      TE.flatMap((caller) =>
        pipe(
          read(deps, streams.message(mid), messages),
          TE.flatMap((message) =>
            (message.state.stage === 'Absent' ? firstPublication : repeatedPublication)(
              deps,
              ctx,
              caller,
              mid,
              tid,
              content,
              options?.claim ?? true,
            ),
          ),
        ),
      ),
    )();
