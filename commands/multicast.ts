import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { callerOf } from './deps.js';
import type { CommandDeps } from './deps.js';
import { publishMessage } from './publish-message.js';
import type { Commands } from './types.js';

// Roles are checked by the API; the decider dedupes and bounds the list.
export const multicast =
  (deps: CommandDeps): Commands['multicast'] =>
  (ctx, mid, uids, content) =>
    pipe(
      TE.fromEither(callerOf(ctx)),
      TE.flatMap((caller) => publishMessage(deps, ctx, caller, mid, { kind: 'users', uids: [...uids] }, content)),
    )();
