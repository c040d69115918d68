import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { streams } from '../schema/events.js';
import { users } from './aggregates.js';
import { read } from './deps.js';
import type { CommandDeps } from './deps.js';
import type { Commands } from './types.js';

// A user's profile as the user stream's fold knows it (contact points, channel preferences,
// attributes, devices): read back from the write side, so it is exactly what the last
// answered command left, on every node, without a read model of its own. Reads, never writes.
export const loadProfile =
  (deps: CommandDeps): Commands['loadProfile'] =>
  (uid) =>
    pipe(
      read(deps, streams.user(uid), users),
      TE.map((snapshot) => snapshot.state),
    )();
