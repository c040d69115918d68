import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { Caller } from '../domain/caller.js';
import { checkContent } from '../domain/message-content.js';
import { threadUrgency } from '../domain/thread-state.js';
import { streams } from '../schema/events.js';
import type { MessageId, ThreadId } from '../schema/ids.js';
import { messages, threads } from './aggregates.js';
import { callerOf, read, run } from './deps.js';
import type { CommandDeps } from './deps.js';
import { publishMessage } from './publish-message.js';
import type { Commands, CommandContext, MessageContent } from './types.js';

// Content is checked before the thread is touched, so bad input never claims a thread.
const firstPublication = (
  deps: CommandDeps,
  ctx: CommandContext,
  caller: Caller,
  mid: MessageId,
  tid: ThreadId,
  content: MessageContent,
) =>
  pipe(
    TE.fromEither(checkContent(content, ctx.now)),
    TE.flatMap(() => run(deps, streams.thread(tid), threads, { type: 'AuthorizePublish', tid, caller }, ctx)),
    TE.flatMap((thread) =>
      publishMessage(deps, ctx, caller, mid, { kind: 'thread', tid }, content, threadUrgency(thread.state)),
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
  (ctx, mid, tid, content) =>
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
            ),
          ),
        ),
      ),
    )();
