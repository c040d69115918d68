import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { callerOf } from './deps.js';
import type { CommandDeps } from './deps.js';
import { publishMessage } from './publish-message.js';
import type { Commands } from './types.js';

// Which roles may send is the API's decision (v1 allowed any token), so no role check here.
export const send =
  (deps: CommandDeps): Commands['send'] =>
  (ctx, mid, uid, content) =>
    pipe(
      TE.fromEither(callerOf(ctx)),
      TE.flatMap((caller) => publishMessage(deps, ctx, caller, mid, { kind: 'user', uid }, content)),
    )();
