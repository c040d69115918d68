import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { InboxCommand } from '../domain/inbox.js';
import { streams } from '../schema/events.js';
import { inboxes } from './aggregates.js';
import { callerOf, positionOf, run } from './deps.js';
import type { CommandDeps } from './deps.js';
import type { CommandContext, CommandResult } from './types.js';

/**
 * A command on the caller's own inbox stream (receipts, read markers, deletions): the caller is
 * the token's subject, so nobody writes to another user's inbox through these.
 */
export const onOwnInbox = (
  deps: CommandDeps,
  ctx: CommandContext,
  command: (uid: InboxCommand['uid']) => InboxCommand,
): Promise<CommandResult> =>
  pipe(
    TE.fromEither(callerOf(ctx)),
    TE.flatMap((caller) => run(deps, streams.inbox(caller.uid), inboxes, command(caller.uid), ctx)),
    TE.map(positionOf),
  )();
