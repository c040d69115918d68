import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { streams } from '../schema/events.js';
import { threads } from './aggregates.js';
import { callerOf, positionOf, run } from './deps.js';
import type { CommandDeps } from './deps.js';
import type { Commands } from './types.js';

// Rename a thread, or open/close it to subscribers and publishers (its owner and admins).
export const changeThreadSettings =
  (deps: CommandDeps): Commands['changeThreadSettings'] =>
  (ctx, tid, change) =>
    pipe(
      TE.fromEither(callerOf(ctx)),
      TE.flatMap((caller) =>
        run(deps, streams.thread(tid), threads, { type: 'ChangeThreadSettings', tid, change, caller }, ctx),
      ),
      TE.map(positionOf),
    )();
