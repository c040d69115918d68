import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { ThreadId, UserId } from '../schema/ids.js';
import { Urgency } from '../schema/message.js';
import { invalid } from './errors.js';
import type { DomainError } from './errors.js';
import { dedupe } from './equal.js';
import { checkChannels } from './profile.js';
import type { ThreadSettingsData } from './thread-state.js';

export interface ThreadSettingsInput {
  readonly tid: ThreadId;
  readonly name?: string;
  readonly opens?: boolean;
  readonly openp?: boolean;
  readonly mtypes?: readonly string[];
  readonly urgency?: number;
  readonly channels?: readonly string[];
  readonly fallback?: readonly string[];
}

export const MAX_THREAD_NAME = 200;
const MAX_NAME = MAX_THREAD_NAME;
const MAX_MTYPES = 64;

const checkName = (name: string | undefined): Either<DomainError, string | undefined> =>
  name === undefined || name.length <= MAX_NAME
    ? E.right(name)
    : E.left(invalid('ThreadNameIsTooLong', `name may have at most ${MAX_NAME} characters`));

const checkMtypes = (mtypes: readonly string[] | undefined): Either<DomainError, string[] | undefined> => {
  if (mtypes === undefined) return E.right(undefined);
  if (mtypes.length > MAX_MTYPES)
    return E.left(invalid('TooManyMessageTypes', `mtypes may list at most ${MAX_MTYPES} types`));
  const bad = mtypes.findIndex((m) => m.length === 0 || m.length > 64);
  return bad === -1
    ? E.right(dedupe(mtypes))
    : E.left(invalid('MessageTypeIsInvalid', `mtypes[${bad}] must have 1 to 64 characters`));
};

const checkUrgency = (u: number | undefined): Either<DomainError, Urgency | undefined> =>
  u === undefined || Urgency.is(u) ? E.right(u) : E.left(invalid('UrgencyIsInvalid', 'urgency must be 1, 2, 3 or 4'));

const checkList = (field: string, xs: readonly string[] | undefined): Either<DomainError, string[] | undefined> =>
  xs === undefined ? E.right(undefined) : checkChannels(field, xs);

// New threads are private unless the creator opens them: the same default as a thread
// claimed by subscribing or publishing to an unknown tid.
export const checkThreadSettings = (s: ThreadSettingsInput, owner: UserId): Either<DomainError, ThreadSettingsData> =>
  pipe(
    E.Do,
    E.bind('name', () => checkName(s.name)),
    E.bind('mtypes', () => checkMtypes(s.mtypes)),
    E.bind('urgency', () => checkUrgency(s.urgency)),
    E.bind('channels', () => checkList('channels', s.channels)),
    E.bind('fallback', () => checkList('fallback', s.fallback)),
    E.map((v) => ({
      tid: s.tid,
      owner,
      opens: s.opens ?? false,
      openp: s.openp ?? false,
      ...(v.name !== undefined ? { name: v.name } : {}),
      ...(v.channels !== undefined ? { channels: v.channels } : {}),
      ...(v.fallback !== undefined ? { fallback: v.fallback } : {}),
      ...(v.urgency !== undefined ? { urgency: v.urgency } : {}),
      ...(v.mtypes !== undefined ? { mtypes: v.mtypes } : {}),
    })),
  );
