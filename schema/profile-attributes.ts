import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import type { JsonObject, JsonValue } from './json.js';
import { Payload } from './payload.js';
import { DIRECTORY_LIMITS } from './user-directory.js';

// A profile's `attributes` (POST /api/v2/profile): any JSON object, whose reserved keys the user
// directory reads (schema/user-directory.ts) held to what the import holds them to
// (schema/user-import.ts): `tags` a list of tags, `locale` a name like de-DE. Before, a wrong
// one was stored and then silently ignored by the directory (a segment never matched it).
// null clears either.
export const LOCALE_PATTERN = /^[A-Za-z0-9_+\-/.@:]{1,64}$/;

const isTag = (x: JsonValue): boolean => typeof x === 'string' && x.length > 0 && x.length <= DIRECTORY_LIMITS.key;

const at = (c: t.Context, key: string, actual: unknown): t.Context => [...c, { key, type: t.unknown, actual }];

export const ProfileAttributes = new t.Type<JsonObject, JsonObject, unknown>(
  'ProfileAttributes',
  (u): u is JsonObject => E.isRight(validate(u, [])),
  (u, c) => validate(u, c),
  t.identity,
);

function validate(u: unknown, c: t.Context): t.Validation<JsonObject> {
  const base = Payload.validate(u, c);
  if (E.isLeft(base)) return base;
  const a = base.right;
  const tags = a['tags'];
  if (tags !== undefined && tags !== null) {
    if (!Array.isArray(tags) || tags.length > DIRECTORY_LIMITS.tags)
      return t.failure(tags, at(c, 'tags', tags), `expected a list of at most ${DIRECTORY_LIMITS.tags} tags`);
    const i = tags.findIndex((x) => !isTag(x));
    if (i !== -1)
      return t.failure(
        tags[i],
        at(at(c, 'tags', tags), String(i), tags[i]),
        `expected a tag of 1..${DIRECTORY_LIMITS.key} characters`,
      );
  }
  const locale = a['locale'];
  if (locale !== undefined && locale !== null && !(typeof locale === 'string' && LOCALE_PATTERN.test(locale)))
    return t.failure(locale, at(c, 'locale', locale), 'expected a name like de-DE');
  return t.success(a);
}
