import * as TE from 'fp-ts/lib/TaskEither.js';
import type { TaskEither } from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { Caller } from '../domain/caller.js';
import { streams } from '../schema/events.js';
import type { AudienceSource } from '../schema/events.js';
import type { MessageId } from '../schema/ids.js';
import type { Audience, Urgency } from '../schema/message.js';
import { messages } from './aggregates.js';
import { run } from './deps.js';
import type { CommandDeps, Failure } from './deps.js';
import type { CommandContext, MessageContent } from './types.js';

export interface Published {
  readonly mid: MessageId;
  readonly position: number;
}

// The message stream is new for every mid, so the append's expected revision is 'no_stream':
// a retried request with the same mid finds the first publication instead of a second one,
// and answers with the position it was written at.
export const publishMessage = (
  deps: CommandDeps,
  ctx: CommandContext,
  caller: Caller,
  mid: MessageId,
  audience: Audience,
  content: MessageContent,
  threadUrgency?: Urgency,
  resolvedFrom?: AudienceSource,
): TaskEither<Failure, Published> =>
  pipe(
    run(
      deps,
      streams.message(mid),
      messages,
      {
        type: 'Publish',
        mid,
        caller,
        audience,
        content,
        now: ctx.now,
        ...(threadUrgency !== undefined ? { threadUrgency } : {}),
        ...(resolvedFrom !== undefined ? { resolvedFrom } : {}),
      },
      ctx,
    ),
    TE.map((h) => ({ mid, position: h.events.length > 0 ? h.position : h.streamPosition })),
  );
