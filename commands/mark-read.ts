import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { streams } from '../schema/events.js';
import { inboxes } from './aggregates.js';
import { callerOf, positionOf, run } from './deps.js';
import type { CommandDeps } from './deps.js';
import type { Commands } from './types.js';

export const markRead =
  (deps: CommandDeps): Commands['markRead'] =>
  (ctx, mid, tid) =>
    pipe(
      TE.fromEither(callerOf(ctx)),
      TE.flatMap((caller) =>
        run(
          deps,
          streams.inbox(caller.uid),
          inboxes,
          {
            type: 'MarkRead',
            uid: caller.uid,
            mid,
            ...(tid !== undefined ? { tid } : {}),
          },
          ctx,
        ),
      ),
      TE.map(positionOf),
    )();
