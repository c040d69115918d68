import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import { UserId } from './ids.js';
import { loneSurrogate, type JsonObject } from './json.js';
import { Payload } from './payload.js';
import { TimeZone } from './local-time.js';
import { ContactInput } from './profile.js';
import { DIRECTORY_LIMITS } from './user-directory.js';
import { LOCALE_PATTERN } from './profile-attributes.js';

// One line of a user import (POST /api/v2/users/import, NDJSON): decoded by hand so that an
// error names the line's field. What passes becomes a profile change: email and cell, the
// profile's time zone (the one field quiet hours, local-time schedules and the user directory
// read, as POST /api/v2/profile sets it), and one attribute object holding the custom
// attributes plus the reserved keys tags and locale.

export interface ImportedUser {
  readonly uid: UserId;
  readonly email?: string | null;
  readonly cell?: string | null;
  /** An IANA zone (TimeZone): the profile's `timezone`. */
  readonly timezone?: string;
  readonly attributes: JsonObject;
}

export interface LineError {
  readonly field: string;
  readonly msg: string;
}

export const IMPORT_LIMITS = {
  /** Characters of one line. */
  line: 65_536,
  /** The route's body cap: a larger file is sent in several requests (msgxc import does). */
  body: 16 * 1024 * 1024,
} as const;

/**
 * The lines of an NDJSON body as byte ranges (views, not copies), split at LF, one at a time
 * (a body of 16 MiB of LFs is 16 million lines: none is held before it is read); a last line
 * without its LF is a line too. Each is decoded by lineText, so that a line of invalid UTF-8 is
 * that line's error (decoding the body whole would turn its bytes into U+FFFD and store them).
 */
export function* ndjsonLines(body: Uint8Array): Generator<Uint8Array, void, undefined> {
  let start = 0;
  while (start < body.length) {
    const end = body.indexOf(0x0a, start);
    if (end === -1) {
      yield body.subarray(start);
      return;
    }
    yield body.subarray(start, end);
    start = end + 1;
  }
}

/** How many lines ndjsonLines gives. */
export const lineCount = (body: Uint8Array): number => {
  let n = 0;
  for (let i = body.indexOf(0x0a); i !== -1; i = body.indexOf(0x0a, i + 1)) n += 1;
  return body.length > 0 && body[body.length - 1] !== 0x0a ? n + 1 : n;
};

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A line's text: undefined when it is not UTF-8. A byte order mark at its start is dropped
 * (the decoder's default): editors save files "UTF-8 with BOM", and JSON.parse refuses one.
 * A CR before the LF (a file written on Windows) is dropped too.
 */
export const lineText = (bytes: Uint8Array): string | undefined => {
  try {
    return UTF8.decode(bytes).replace(/\r$/, '');
  } catch {
    return undefined;
  }
};

const FIELDS = ['uid', 'email', 'cell', 'tags', 'attributes', 'timezone', 'locale'];

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);
const bad = (field: string, msg: string): Either<LineError, never> => E.left({ field, msg });

export const decodeImportLine = (u: unknown): Either<LineError, ImportedUser> => {
  if (!isObject(u)) return bad('', 'a line must be a JSON object');
  // As for a request body (api/http.ts): no store of text keeps a lone surrogate as it came.
  const lone = loneSurrogate(u);
  if (lone !== undefined) return bad(lone.path, `${lone.what} is no character; send text as UTF-8`);
  const extra = Object.keys(u).find((k) => !FIELDS.includes(k));
  if (extra !== undefined) return bad(extra, `unknown field (expected ${FIELDS.join(', ')})`);
  if (!UserId.is(u['uid'])) return bad('uid', 'expected a user id (1..128 of A-Z a-z 0-9 . _ : @ + = -)');
  for (const f of ['email', 'cell'] as const)
    if (u[f] !== undefined && !ContactInput.is(u[f])) return bad(f, 'expected a string or null');
  const tags = u['tags'];
  if (tags !== undefined) {
    if (!Array.isArray(tags) || tags.length > DIRECTORY_LIMITS.tags)
      return bad('tags', `expected a list of at most ${DIRECTORY_LIMITS.tags} tags`);
    const i = tags.findIndex((x) => typeof x !== 'string' || x.length === 0 || x.length > DIRECTORY_LIMITS.key);
    if (i !== -1) return bad(`tags[${i}]`, `expected a tag of 1..${DIRECTORY_LIMITS.key} characters`);
  }
  const timezone = u['timezone'];
  if (timezone !== undefined && !TimeZone.is(timezone))
    return bad('timezone', 'expected an IANA time zone this server knows, like Europe/Berlin');
  if (u['locale'] !== undefined && !(typeof u['locale'] === 'string' && LOCALE_PATTERN.test(u['locale'])))
    return bad('locale', 'expected a name like de-DE');
  const attributes = u['attributes'] ?? {};
  if (!Payload.is(attributes)) return bad('attributes', `expected a ${Payload.name}`);
  const reserved = ['tags', 'timezone', 'locale'].find((k) => k in attributes);
  if (reserved !== undefined) return bad(`attributes.${reserved}`, `${reserved} is given at the top level of a line`);
  const merged: JsonObject = {
    ...attributes,
    ...(tags === undefined ? {} : { tags: [...new Set(tags as string[])] }),
    ...(u['locale'] === undefined ? {} : { locale: u['locale'] }),
  };
  return E.right({
    uid: u['uid'],
    ...(u['email'] === undefined ? {} : { email: u['email'] as string | null }),
    ...(u['cell'] === undefined ? {} : { cell: u['cell'] as string | null }),
    ...(timezone === undefined ? {} : { timezone }),
    attributes: merged,
  });
};
