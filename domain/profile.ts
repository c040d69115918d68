import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import { LIMITS } from '../schema/bounds.js';
import { ChannelName } from '../schema/events.js';
import type { JsonObject } from '../schema/json.js';
import { Payload } from '../schema/payload.js';
import { CellNumber, EmailAddress } from '../schema/profile.js';
import { invalid } from './errors.js';
import type { DomainError } from './errors.js';
import { dedupe } from './equal.js';

// Input checks for profile fields. Each error names the field so a client can point at it;
// what passes is what the stored-event codecs (schema/profile.ts) decode.
const CELL_SEPARATORS = /[\s().-]/g;
export const MAX_CHANNELS = LIMITS.channels;

export const checkEmail = (email: string | null): Either<DomainError, string | null> => {
  if (email === null) return E.right(null);
  const trimmed = email.trim();
  return EmailAddress.is(trimmed)
    ? E.right(trimmed)
    : E.left(invalid('EmailIsMalformed', 'email must look like name@example.org'));
};

/** Separators people type (spaces, dashes, dots, parentheses) are dropped before storing. */
export const checkCell = (cell: string | null): Either<DomainError, string | null> => {
  if (cell === null) return E.right(null);
  const compact = cell.replace(CELL_SEPARATORS, '');
  return CellNumber.is(compact)
    ? E.right(compact)
    : E.left(invalid('CellIsMalformed', 'cell must be a phone number in international form, e.g. +14155550100'));
};

export const checkChannels = (field: string, channels: readonly string[]): Either<DomainError, string[]> => {
  if (channels.length > MAX_CHANNELS) {
    return E.left(invalid('TooManyChannels', `${field} may list at most ${MAX_CHANNELS} channels`));
  }
  const bad = channels.findIndex((c) => !ChannelName.is(c));
  return bad === -1
    ? E.right(dedupe(channels))
    : E.left(
        invalid('ChannelNameIsInvalid', `${field}[${bad}] must be a channel name like "email" or "~sms" (opted out)`),
      );
};

export const checkAttributes = (attributes: unknown): Either<DomainError, JsonObject> => {
  const decoded = Payload.decode(attributes);
  if (E.isLeft(decoded)) return E.left(invalid('AttributesAreNotAJsonObject', `attributes must be a ${Payload.name}`));
  // One time zone per user: the profile's `timezone` (quiet hours, local-time schedules and the
  // user directory read it), never a second copy among the attributes.
  return Object.hasOwn(decoded.right, 'timezone')
    ? E.left(invalid('AttributesHoldTimeZone', 'attributes.timezone: give the time zone as the top-level `timezone`'))
    : E.right(decoded.right);
};
