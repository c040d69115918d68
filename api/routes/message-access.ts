import type { MessageDetails, ThreadView } from '../../ports/read-models.js';
import type { Actor } from '../../schema/metadata.js';
import { isAdmin } from '../auth.js';
import type { AppDeps } from '../deps.js';

/** Who may read a thread's messages: its owner, its members (any role) and admins; nobody an unknown thread's. */
export const mayReadThreadMessages = async (
  deps: AppDeps,
  thread: ThreadView | undefined,
  actor: Actor,
): Promise<boolean> =>
  thread !== undefined &&
  (isAdmin(actor) || thread.owner === actor.uid || (await deps.reads.memberRoles(thread.tid, actor.uid)).length > 0);

/**
 * Who may read one message: its sender and admins; once it is due, its recipients and, for a
 * thread's message, whoever may read the thread's messages. A member who joined after it was
 * published sees it in the thread's history, so opening it by id must not answer that it does not
 * exist; a message not due yet is in nobody's inbox or history, so nobody else opens it by id.
 */
export const mayReadMessage = async (deps: AppDeps, m: MessageDetails, actor: Actor): Promise<boolean> =>
  m.from === actor.uid ||
  isAdmin(actor) ||
  (m.status === 'published' &&
    ((m.audience.kind === 'thread' &&
      (await mayReadThreadMessages(deps, await deps.reads.thread(m.audience.tid), actor))) ||
      (await deps.reads.isRecipient(m.mid, actor.uid))));
