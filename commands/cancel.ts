import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { isRecipient } from '../domain/message-state.js';
import { managesThread } from '../domain/thread-state.js';
import { streams } from '../schema/events.js';
import { messages } from './aggregates.js';
import { callerOf, positionOf, run } from './deps.js';
import type { CommandDeps } from './deps.js';
import { messageContext } from './message-context.js';
import type { Commands } from './types.js';

export const cancel =
  (deps: CommandDeps): Commands['cancel'] =>
  (ctx, mid, tid) =>
    pipe(
      TE.fromEither(callerOf(ctx)),
      TE.flatMap((caller) =>
        pipe(
          messageContext(deps, mid, caller.uid),
          TE.flatMap(({ message, thread, listed }) =>
            run(
              deps,
              streams.message(mid),
              messages,
              {
                type: 'Cancel',
                mid,
                caller,
                managesThread: managesThread(thread, caller),
                now: ctx.now,
                ...(tid !== undefined ? { tid } : {}),
                isRecipient: message.stage !== 'Absent' && isRecipient(message.message, caller.uid, thread, listed),
              },
              ctx,
            ),
          ),
        ),
      ),
      TE.map(positionOf),
    )();
