import * as E from 'fp-ts/lib/Either.js';
import { notFound, unprocessable } from '../domain/errors.js';
import { onlyAdminsErase } from '../domain/user.js';
import { streams } from '../schema/events.js';
import type { UserId } from '../schema/ids.js';
import { users } from './aggregates.js';
import { callerOf, read, run } from './deps.js';
import type { CommandDeps } from './deps.js';
import { failedToAppend } from './handler.js';
import type { Commands } from './types.js';

// GDPR erasure (docs/gdpr.md): the user's data keys are destroyed first, then UserErased is
// appended, on which every read model and index forgets the user. In this order a failure
// between the two leaves the log's personal fields already unreadable, and asking again
// (allowed: the decider records every erasure) completes it; the other order could leave an
// erasure recorded whose data still opens.
export const userIsUnknown = notFound('UserNotFound', 'no such user');
export const notSealed = unprocessable('PersonalDataNotSealed', 'this node does not seal personal data');

export const eraseUser =
  (deps: CommandDeps): Commands['eraseUser'] =>
  async (ctx, uid: UserId) => {
    const caller = callerOf(ctx);
    if (E.isLeft(caller)) return caller;
    // The decider's rule, asked before anything is destroyed (the decider checks it again).
    if (!caller.right.admin) return E.left(onlyAdminsErase);
    const known = await read(deps, streams.user(uid), users)();
    if (E.isLeft(known)) return known;
    if (known.right.revision < 0) return E.left(userIsUnknown);
    if (deps.personal === undefined) return E.left(notSealed);
    let keysDestroyed: number;
    try {
      keysDestroyed = await deps.personal.forget(uid);
    } catch (e) {
      return E.left(failedToAppend(`data keys could not be destroyed: ${e instanceof Error ? e.message : String(e)}`));
    }
    const done = await run(deps, streams.user(uid), users, { type: 'Erase', uid, caller: caller.right }, ctx)();
    return E.isLeft(done) ? done : E.right({ position: done.right.position, keysDestroyed });
  };
