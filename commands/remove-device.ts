import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { streams } from '../schema/events.js';
import { users } from './aggregates.js';
import { callerOf, run } from './deps.js';
import type { CommandDeps } from './deps.js';
import { deviceIdOf } from './device-id.js';
import type { Commands } from './types.js';

// Logout: the user (or an admin) removes a device, named by its id or by what enlisted it
// (the app knows its push token, not our hash of it). `revoked` is false when the device was
// not enlisted (never, or no longer): the API answers that as unknown.
export const removeDevice =
  (deps: CommandDeps): Commands['removeDevice'] =>
  (ctx, uid, which, reason = 'logout') =>
    pipe(
      TE.fromEither(callerOf(ctx)),
      TE.flatMap((caller) => {
        const deviceId = 'deviceId' in which ? which.deviceId : deviceIdOf(which.device);
        return run(deps, streams.user(uid), users, { type: 'RevokeDevice', uid, deviceId, reason, caller }, ctx);
      }),
      TE.map((h) => ({ position: h.position, revoked: h.events.length > 0 })),
    )();
