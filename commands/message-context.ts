import * as TE from 'fp-ts/lib/TaskEither.js';
import type { TaskEither } from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { MessageState } from '../domain/message-state.js';
import { initialThreadState } from '../domain/thread-state.js';
import type { ThreadState } from '../domain/thread-state.js';
import { streams } from '../schema/events.js';
import type { MessageId } from '../schema/ids.js';
import { messages, threads } from './aggregates.js';
import { read } from './deps.js';
import { failedToAppend } from './handler.js';
import type { CommandDeps, Failure } from './deps.js';

export interface MessageContext {
  readonly message: MessageState;
  /** The message's thread, or Absent when it was not published to one. */
  readonly thread: ThreadState;
}

// Who may cancel, retract or delete depends on the thread's owner and admins, which live in
// another stream; reading it first keeps the deciders pure and single-stream.
export const messageContext = (deps: CommandDeps, mid: MessageId): TaskEither<Failure, MessageContext> =>
  pipe(
    read(deps, streams.message(mid), messages),
    TE.flatMap(({ state }) => {
      if (state.stage === 'Absent' || state.message.audience.kind !== 'thread') {
        return TE.right({ message: state, thread: initialThreadState() });
      }
      // A failure names no stream: the caller may not know which thread the message is in.
      return pipe(
        read(deps, streams.thread(state.message.audience.tid), threads),
        TE.mapLeft((e) => (e.kind === 'unavailable' ? failedToAppend("could not read the message's thread") : e)),
        TE.map((t) => ({ message: state, thread: t.state })),
      );
    }),
  );
