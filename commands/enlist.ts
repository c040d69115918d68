import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { checkDevice } from '../domain/device.js';
import { streams } from '../schema/events.js';
import { users } from './aggregates.js';
import { callerOf, positionOf, run } from './deps.js';
import type { CommandDeps } from './deps.js';
import { deviceIdOf } from './device-id.js';
import type { Commands } from './types.js';

export const enlist =
  (deps: CommandDeps): Commands['enlist'] =>
  (ctx, device) =>
    pipe(
      TE.fromEither(callerOf(ctx)),
      TE.flatMap((caller) =>
        pipe(
          TE.fromEither(checkDevice(device, deps.allowedPushHosts)),
          TE.flatMap(() =>
            run(
              deps,
              streams.user(caller.uid),
              users,
              { type: 'Enlist', uid: caller.uid, deviceId: deviceIdOf(device), device },
              ctx,
            ),
          ),
        ),
      ),
      TE.map(positionOf),
    )();
