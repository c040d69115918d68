import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { streams } from '../schema/events.js';
import type { DeviceId, UserId } from '../schema/ids.js';
import { users } from './aggregates.js';
import { callerOf, positionOf, run } from './deps.js';
import type { CommandDeps } from './deps.js';
import type { CommandContext, CommandResult } from './types.js';

export type RevokeDevice = (
  ctx: CommandContext,
  uid: UserId,
  deviceId: DeviceId,
  reason: string,
  /** Only the enlistment at this revision of the user's stream (a device another user enlisted since). */
  enlisted?: number,
) => Promise<CommandResult>;

// Not in the API's Commands: the dispatcher calls it when a provider reports a device gone, and
// triage when another user enlisted a device (delivery/moves.ts).
export const revokeDevice =
  (deps: CommandDeps): RevokeDevice =>
  (ctx, uid, deviceId, reason, enlisted) =>
    pipe(
      TE.fromEither(callerOf(ctx)),
      TE.flatMap((caller) =>
        run(
          deps,
          streams.user(uid),
          users,
          { type: 'RevokeDevice', uid, deviceId, reason, caller, ...(enlisted === undefined ? {} : { enlisted }) },
          ctx,
        ),
      ),
      TE.map(positionOf),
    )();
