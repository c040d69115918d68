import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import type { JsonObject } from '../schema/json.js';
import { Urgency } from '../schema/message.js';
import type { Audience } from '../schema/message.js';
import { invalid } from './errors.js';
import type { DomainError } from './errors.js';
import { dedupe } from './equal.js';

export interface ContentInput {
  readonly msg: string;
  readonly opts: JsonObject;
  readonly scheduled?: Date;
  readonly subject?: string;
}

export const MAX_MULTICAST = 10_000;

/** The urgency the sender asked for in `opts.urgency`, if any. */
export const requestedUrgency = (opts: JsonObject): Either<DomainError, Urgency | undefined> => {
  if (!Object.hasOwn(opts, 'urgency')) return E.right(undefined);
  const u = opts.urgency;
  return Urgency.is(u) ? E.right(u) : E.left(invalid('UrgencyIsInvalid', 'opts.urgency must be 1, 2, 3 or 4'));
};

/** Without `now` only the shape is checked (a retry of a message whose time has come). */
export const checkSchedule = (scheduled: Date | undefined, now?: Date): Either<DomainError, string | undefined> => {
  if (scheduled === undefined) return E.right(undefined);
  if (Number.isNaN(scheduled.getTime())) return E.left(invalid('ScheduledIsNotADate', 'scheduled must be a date'));
  return now === undefined || scheduled.getTime() > now.getTime()
    ? E.right(scheduled.toISOString())
    : E.left(invalid('ScheduledIsInThePast', 'scheduled must be in the future'));
};

/** A user listed twice receives the message once. */
export const checkAudience = (audience: Audience): Either<DomainError, Audience> => {
  if (audience.kind !== 'users') return E.right(audience);
  const uids = dedupe(audience.uids);
  if (uids.length === 0) return E.left(invalid('AudienceIsEmpty', 'uids must name at least one user'));
  if (uids.length > MAX_MULTICAST) return E.left(invalid('AudienceIsTooLarge', `uids may name at most ${MAX_MULTICAST} users`));
  return E.right({ kind: 'users', uids });
};

/** Checks that need no state, so a command can refuse bad input before touching any stream. */
export const checkContent = (content: ContentInput, now: Date): Either<DomainError, void> =>
  E.flatMap(requestedUrgency(content.opts), () => E.map(() => undefined)(checkSchedule(content.scheduled, now)));
