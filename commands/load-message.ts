import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { streams } from '../schema/events.js';
import { messages } from './aggregates.js';
import { read } from './deps.js';
import type { CommandDeps } from './deps.js';
import type { Commands } from './types.js';

// A message as its own fold knows it (the command side's load: the cached state, caught up
// from the stream), for whoever must decide from it without deciding anything itself:
// realtime asks whom a retraction concerns and whether a scheduled message is still live.
export const loadMessage =
  (deps: CommandDeps): Commands['loadMessage'] =>
  (mid) =>
    pipe(
      read(deps, streams.message(mid), messages),
      TE.map((snapshot) => snapshot.state),
    )();
