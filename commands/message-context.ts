import * as TE from 'fp-ts/lib/TaskEither.js';
import type { TaskEither } from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { MessageState } from '../domain/message-state.js';
import { initialThreadState } from '../domain/thread-state.js';
import type { ThreadState } from '../domain/thread-state.js';
import { streams } from '../schema/events.js';
import type { MessageId } from '../schema/ids.js';
import { audienceParts, inAudience } from './audience-parts.js';
import { messages, threads } from './aggregates.js';
import { read } from './deps.js';
import { failedToAppend } from './handler.js';
import type { CommandDeps, Failure } from './deps.js';

export interface MessageContext {
  readonly message: MessageState;
  /** The message's thread, or Absent when it was not published to one. */
  readonly thread: ThreadState;
  /** Whether the caller is in the message's chunked audience (false for other audiences). */
  readonly listed: boolean;
}

// A chunked audience is not in the message's fold: its parts are searched (a few part reads).
const listedIn = (deps: CommandDeps, state: MessageState, uid: string | undefined): TaskEither<Failure, boolean> => {
  const message = state.stage === 'Absent' ? undefined : state.message;
  const audience = message?.audience;
  if (message === undefined || audience?.kind !== 'chunked' || uid === undefined) return TE.right(false);
  return TE.tryCatch(
    () => inAudience(audienceParts(deps.store), message.mid, audience.chunks, uid),
    () => failedToAppend("could not read the message's audience"),
  );
};

// Who may cancel, retract or delete depends on the thread's owner and admins, which live in
// another stream; reading it first keeps the deciders pure and single-stream.
export const messageContext = (deps: CommandDeps, mid: MessageId, uid?: string): TaskEither<Failure, MessageContext> =>
  pipe(
    read(deps, streams.message(mid), messages),
    TE.flatMap(({ state }) => {
      if (state.stage === 'Absent' || state.message.audience.kind !== 'thread') {
        return TE.map((listed: boolean) => ({ message: state, thread: initialThreadState(), listed }))(
          listedIn(deps, state, uid),
        );
      }
      // A failure names no stream: the caller may not know which thread the message is in.
      return pipe(
        read(deps, streams.thread(state.message.audience.tid), threads),
        TE.mapLeft((e) => (e.kind === 'unavailable' ? failedToAppend("could not read the message's thread") : e)),
        TE.map((t) => ({ message: state, thread: t.state, listed: false })),
      );
    }),
  );
