import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import { ChannelName } from '../schema/events.js';
import { JsonObjectC } from '../schema/json.js';
import type { JsonObject } from '../schema/json.js';
import { invalid } from './errors.js';
import type { DomainError } from './errors.js';
import { dedupe } from './equal.js';

// Input checks for profile fields. Each error names the field so a client can point at it.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// E.164 allows 15 digits; 7 is the shortest plausible subscriber number with a country code.
const CELL = /^\+?[1-9]\d{6,14}$/;
const CELL_SEPARATORS = /[\s().-]/g;
export const MAX_CHANNELS = 32;

export const checkEmail = (email: string | null): Either<DomainError, string | null> => {
  if (email === null) return E.right(null);
  const trimmed = email.trim();
  return trimmed.length <= 254 && EMAIL.test(trimmed)
    ? E.right(trimmed)
    : E.left(invalid('EmailIsMalformed', 'email must look like name@example.org'));
};

/** Separators people type (spaces, dashes, dots, parentheses) are dropped before storing. */
export const checkCell = (cell: string | null): Either<DomainError, string | null> => {
  if (cell === null) return E.right(null);
  const compact = cell.replace(CELL_SEPARATORS, '');
  return CELL.test(compact)
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
    : E.left(invalid('ChannelNameIsInvalid', `${field}[${bad}] must be a channel name like "email" or "~sms" (opted out)`));
};

export const checkAttributes = (attributes: unknown): Either<DomainError, JsonObject> =>
  JsonObjectC.is(attributes)
    ? E.right(attributes)
    : E.left(invalid('AttributesAreNotAJsonObject', 'attributes must be a JSON object'));
