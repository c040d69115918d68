import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { streams } from '../schema/events.js';
import { threads } from './aggregates.js';
import { callerOf, positionOf, run } from './deps.js';
import type { CommandDeps } from './deps.js';
import type { Commands } from './types.js';

/** Without `uid` the caller unsubscribes themselves. */
export const unsubscribe =
  (deps: CommandDeps): Commands['unsubscribe'] =>
  (ctx, tid, uid) =>
    pipe(
      TE.fromEither(callerOf(ctx)),
      TE.flatMap((caller) =>
        run(deps, streams.thread(tid), threads, { type: 'Unsubscribe', tid, uid: uid ?? caller.uid, caller }, ctx),
      ),
      TE.map(positionOf),
    )();
