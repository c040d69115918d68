import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { boundedInt, boundedString, LIMITS } from './bounds.js';
import { UserId } from './ids.js';
import { MessageText } from './message.js';
import { EmailAddress } from './profile.js';

// webservice-notification's `POST /notify` (seed 003). Its servers posted form fields, with
// `users` a JSON document in a string and the flags as strings; JSON bodies are accepted too.
// Both decode to the same value here, so the route sees one shape.

/** true, false, or how a form writes them ("true", "1", "on"; "false", "0", "off", ""). */
export const FormBoolean = new t.Type<boolean, boolean, unknown>(
  'boolean (true/false, or "true", "1", "false", "0" in a form)',
  (u): u is boolean => typeof u === 'boolean',
  (u, c) => {
    if (typeof u === 'boolean') return t.success(u);
    if (typeof u === 'string') {
      const s = u.trim().toLowerCase();
      if (['true', '1', 'on', 'yes'].includes(s)) return t.success(true);
      if (['false', '0', 'off', 'no', ''].includes(s)) return t.success(false);
    }
    return t.failure(u, c);
  },
  t.identity,
);

const NotifyUser = t.intersection(
  [
    t.type({ id: t.union([boundedInt(0, Number.MAX_SAFE_INTEGER), UserId], 'user id (integer or id)') }),
    t.partial({ email: t.union([EmailAddress, t.null]) }),
  ],
  'NotifyUser',
);
const UserList = t.refinement(
  t.array(NotifyUser),
  (a) => a.length >= 1 && a.length <= LIMITS.recipients,
  `list of 1..${LIMITS.recipients} users {id, email}`,
);

/** `users`: the list itself, or the JSON document of it in a string (the seed's form field). */
export const NotifyUsers = new t.Type<t.TypeOf<typeof UserList>, unknown, unknown>(
  'users ([{id, email}], or that list as a JSON string)',
  UserList.is,
  (u, c) => {
    if (typeof u !== 'string') return UserList.validate(u, c);
    // The error's path names the field already: the message says only what is wrong with it.
    if (u.length > 2_000_000) return t.failure(u, c, 'expected a JSON document of at most 2,000,000 characters');
    let parsed: unknown;
    try {
      parsed = JSON.parse(u) as unknown;
    } catch {
      return t.failure(u, c, 'expected a list of users, or its JSON document');
    }
    // The list is the value under `users` now, so an error names its element (`users.3.id`).
    const last = c[c.length - 1];
    return UserList.validate(parsed, last === undefined ? c : [...c.slice(0, -1), { ...last, actual: parsed }]);
  },
  t.identity,
);

const field = boundedString(0, 2048);
export const NotifyBody = t.intersection(
  [
    t.type({ content: MessageText, users: NotifyUsers }),
    t.partial({
      type: boundedString(0, 64),
      title: boundedString(0, LIMITS.subject),
      url: field,
      icon: field,
      image: field,
      email_send: FormBoolean,
      email_force: FormBoolean,
      email_subject: boundedString(0, LIMITS.subject),
      email_content: boundedString(0, LIMITS.text),
      email_mime: boundedString(0, 16),
      email_type: t.keyof({ 'text/html': null, 'text/plain': null }, 'email_type (text/html or text/plain)'),
    }),
  ],
  'NotifyBody',
);
export type NotifyBody = t.TypeOf<typeof NotifyBody>;

/** The notification fields a client reads, as the message's opts (only those given). */
export const notificationOpts = (b: NotifyBody): Record<string, string> =>
  Object.fromEntries(
    (['type', 'title', 'url', 'icon', 'image'] as const).flatMap((k) => (b[k] !== undefined ? [[k, b[k]]] : [])),
  );

export const decodeNotify = (u: unknown): E.Either<t.Errors, NotifyBody> => NotifyBody.decode(u);
