import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { streams } from '../schema/events.js';
import { segments } from './aggregates.js';
import { callerOf, read, run } from './deps.js';
import type { CommandDeps } from './deps.js';
import type { Commands } from './types.js';

export const defineSegment =
  (deps: CommandDeps): Commands['defineSegment'] =>
  (ctx, id, name, query) =>
    pipe(
      TE.fromEither(callerOf(ctx)),
      TE.flatMap((caller) =>
        run(deps, streams.segment(id), segments, { type: 'DefineSegment', id, name, query, caller }, ctx),
      ),
      TE.map((h) => ({ id, position: h.position })),
    )();

export const loadSegment =
  (deps: CommandDeps): Commands['loadSegment'] =>
  (id) =>
    pipe(
      read(deps, streams.segment(id), segments),
      TE.map((snapshot) => snapshot.state),
    )();
