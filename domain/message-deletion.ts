import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import type { Caller } from './caller.js';
import type { DomainError } from './errors.js';
import { mayManageMessage, messageNotFound } from './message.js';
import { isRecipient } from './message-state.js';
import type { MessageState } from './message-state.js';
import type { ThreadState } from './thread-state.js';
import { managesThread } from './thread-state.js';

export type Deletion = 'retract' | 'delete_from_inbox';

/**
 * "Delete" means different things to different callers: the sender (or an admin) removes the
 * message for everyone, a recipient removes it from their own inbox. `thread` is the
 * message's thread state (Absent for messages not published to a thread). Anyone else is
 * told the message does not exist, exactly as for an unknown mid.
 */
export const chooseDeletion = (
  message: MessageState,
  thread: ThreadState,
  caller: Caller,
  listed = false,
): Either<DomainError, Deletion> => {
  if (message.stage === 'Absent') return E.left(messageNotFound);
  if (mayManageMessage(message.message, caller, managesThread(thread, caller))) return E.right('retract');
  return isRecipient(message.message, caller.uid, thread, listed)
    ? E.right('delete_from_inbox')
    : E.left(messageNotFound);
};
