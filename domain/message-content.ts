import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import { LIMITS, isTimeMs } from '../schema/bounds.js';
import type { JsonObject } from '../schema/json.js';
import { Urgency } from '../schema/message.js';
import type { Audience } from '../schema/message.js';
import type { LocalSchedule } from '../schema/local-time.js';
import { invalid } from './errors.js';
import { firstLocal } from './local-schedule.js';
import type { DomainError } from './errors.js';
import { dedupe } from './equal.js';

export interface ContentInput {
  readonly msg: string;
  readonly opts: JsonObject;
  readonly scheduled?: Date;
  /** `scheduled` as a local wall-clock time (domain/local-schedule.ts); wins over `scheduled`. */
  readonly local?: LocalSchedule;
  readonly subject?: string;
}

/** The instant a message falls due: a local schedule resolved from `base` (its publication). */
export const dueDate = (content: Pick<ContentInput, 'scheduled' | 'local'>, base: Date): Date | undefined =>
  content.local === undefined ? content.scheduled : new Date(firstLocal(content.local, base.getTime()));

export const MAX_MULTICAST = LIMITS.recipients;
/** How far ahead a message may be scheduled: far enough for any campaign, near enough that its timers stay meaningful. */
export const SCHEDULE_HORIZON_DAYS = 366;
const SCHEDULE_HORIZON_MS = SCHEDULE_HORIZON_DAYS * 24 * 3600_000;

/** The urgency the sender asked for in `opts.urgency`, if any. */
export const requestedUrgency = (opts: JsonObject): Either<DomainError, Urgency | undefined> => {
  if (!Object.hasOwn(opts, 'urgency')) return E.right(undefined);
  const u = opts.urgency;
  return Urgency.is(u) ? E.right(u) : E.left(invalid('UrgencyIsInvalid', 'opts.urgency must be 1, 2, 3 or 4'));
};

/** Without `now` only the shape is checked (a retry of a message whose time has come). */
export const checkSchedule = (scheduled: Date | undefined, now?: Date): Either<DomainError, string | undefined> => {
  if (scheduled === undefined) return E.right(undefined);
  if (!isTimeMs(scheduled.getTime()))
    return E.left(invalid('ScheduledIsNotADate', 'scheduled must be a date between 1970 and 9999'));
  if (now === undefined) return E.right(scheduled.toISOString());
  if (scheduled.getTime() <= now.getTime())
    return E.left(invalid('ScheduledIsInThePast', 'scheduled must be in the future'));
  return scheduled.getTime() - now.getTime() <= SCHEDULE_HORIZON_MS
    ? E.right(scheduled.toISOString())
    : E.left(invalid('ScheduledIsTooFarAhead', `scheduled may be at most ${SCHEDULE_HORIZON_DAYS} days ahead`));
};

/** A user listed twice receives the message once. */
export const checkAudience = (audience: Audience): Either<DomainError, Audience> => {
  if (audience.kind !== 'users') return E.right(audience);
  const uids = dedupe(audience.uids);
  if (uids.length === 0) return E.left(invalid('AudienceIsEmpty', 'uids must name at least one user'));
  if (uids.length > MAX_MULTICAST)
    return E.left(invalid('AudienceIsTooLarge', `uids may name at most ${MAX_MULTICAST} users`));
  return E.right({ kind: 'users', uids });
};

/** Checks that need no state, so a command can refuse bad input before touching any stream. */
export const checkContent = (content: ContentInput, now: Date): Either<DomainError, void> =>
  E.flatMap(requestedUrgency(content.opts), () => E.map(() => undefined)(checkSchedule(dueDate(content, now), now)));
