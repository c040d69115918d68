import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { streams } from '../schema/events.js';
import { inboxes } from './aggregates.js';
import { callerOf, positionOf, run } from './deps.js';
import type { CommandDeps } from './deps.js';
import type { Commands } from './types.js';

// Receipts are the caller's own; whether each mid reached them is the read side's concern.
export const acknowledge =
  (deps: CommandDeps): Commands['acknowledge'] =>
  (ctx, mids, status, channel) =>
    pipe(
      TE.fromEither(callerOf(ctx)),
      TE.flatMap((caller) =>
        run(
          deps,
          streams.inbox(caller.uid),
          inboxes,
          {
            type: 'Acknowledge',
            uid: caller.uid,
            mids,
            status,
            ...(channel !== undefined ? { channel } : {}),
          },
          ctx,
        ),
      ),
      TE.map(positionOf),
    )();
