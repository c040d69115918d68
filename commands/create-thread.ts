import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { streams } from '../schema/events.js';
import { threads } from './aggregates.js';
import { callerOf, run } from './deps.js';
import type { CommandDeps } from './deps.js';
import type { Commands } from './types.js';

export const createThread =
  (deps: CommandDeps): Commands['createThread'] =>
  (ctx, settings) =>
    pipe(
      TE.fromEither(callerOf(ctx)),
      TE.flatMap((caller) =>
        run(deps, streams.thread(settings.tid), threads, { type: 'CreateThread', settings, caller }, ctx),
      ),
      TE.map((h) => ({ tid: settings.tid, position: h.position })),
    )();
