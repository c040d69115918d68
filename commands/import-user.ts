import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { streams } from '../schema/events.js';
import { users } from './aggregates.js';
import { callerOf, run } from './deps.js';
import type { CommandDeps } from './deps.js';
import type { Commands } from './types.js';

// One imported user: the profile change of its line, through the user decider, which appends
// nothing for a part already equal (so re-importing the same line appends nothing new).
// `written` says whether this line appended anything.
export const importUser =
  (deps: CommandDeps): Commands['importUser'] =>
  (ctx, uid, change) =>
    pipe(
      TE.fromEither(callerOf(ctx)),
      TE.flatMap((caller) => run(deps, streams.user(uid), users, { type: 'ChangeProfile', uid, change, caller }, ctx)),
      TE.map((h) => ({ position: h.position, written: h.events.length > 0 })),
    )();
