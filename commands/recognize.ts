import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { streams } from '../schema/events.js';
import { users } from './aggregates.js';
import { callerOf, positionOf, run } from './deps.js';
import type { CommandDeps } from './deps.js';
import type { Commands } from './types.js';

// Called on every authenticated request, so a uid seen before answers from memory.
// Recognition never reverts, which makes remembering it safe across other nodes' writes.
export const recognize =
  (deps: CommandDeps): Commands['recognize'] =>
  async (ctx) => {
    const known = deps.recognized.get(ctx.actor.uid);
    if (known !== undefined) return E.right({ position: known });
    const result = await pipe(
      TE.fromEither(callerOf(ctx)),
      TE.flatMap((caller) =>
        run(deps, streams.user(caller.uid), users, { type: 'Recognize', uid: caller.uid, via: 'token' }, ctx),
      ),
      TE.map(positionOf),
    )();
    if (E.isRight(result)) deps.recognized.set(ctx.actor.uid, result.right.position);
    return result;
  };
