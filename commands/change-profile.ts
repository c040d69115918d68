import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { streams } from '../schema/events.js';
import { users } from './aggregates.js';
import { callerOf, positionOf, run } from './deps.js';
import type { CommandDeps } from './deps.js';
import type { Commands } from './types.js';

export const changeProfile =
  (deps: CommandDeps): Commands['changeProfile'] =>
  (ctx, uid, change) =>
    pipe(
      TE.fromEither(callerOf(ctx)),
      TE.flatMap((caller) => run(deps, streams.user(uid), users, { type: 'ChangeProfile', uid, change, caller }, ctx)),
      TE.map(positionOf),
    )();
