import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { callerOf } from './deps.js';
import type { CommandDeps } from './deps.js';
import { publishMessage } from './publish-message.js';
import type { Commands } from './types.js';

// One event naming the audience; recipients are resolved when inboxes are read.
export const broadcast =
  (deps: CommandDeps): Commands['broadcast'] =>
  (ctx, mid, content) =>
    pipe(
      TE.fromEither(callerOf(ctx)),
      TE.flatMap((caller) => publishMessage(deps, ctx, caller, mid, { kind: 'everyone' }, content)),
    )();
