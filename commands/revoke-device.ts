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
) => Promise<CommandResult>;

// Not in the API's Commands: the dispatcher calls it when a provider reports a device gone.
export const revokeDevice =
  (deps: CommandDeps): RevokeDevice =>
  (ctx, uid, deviceId, reason) =>
    pipe(
      TE.fromEither(callerOf(ctx)),
      TE.flatMap((caller) =>
        run(deps, streams.user(uid), users, { type: 'RevokeDevice', uid, deviceId, reason, caller }, ctx),
      ),
      TE.map(positionOf),
    )();
