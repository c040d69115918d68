import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { streams } from '../schema/events.js';
import { threads } from './aggregates.js';
import { callerOf, positionOf, run } from './deps.js';
import type { CommandDeps } from './deps.js';
import type { Commands } from './types.js';

export const removeMember =
  (deps: CommandDeps): Commands['removeMember'] =>
  (ctx, tid, uid, role) =>
    pipe(
      TE.fromEither(callerOf(ctx)),
      TE.flatMap((caller) =>
        run(
          deps,
          streams.thread(tid),
          threads,
          { type: 'RemoveMember', tid, uid, ...(role !== undefined ? { role } : {}), caller },
          ctx,
        ),
      ),
      TE.map(positionOf),
    )();
