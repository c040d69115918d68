import * as t from 'io-ts';
import { boundedInt } from './bounds.js';
import { asThreadId, asUserId, UserId, type ThreadId, type UserId as Uid } from './ids.js';
import { MessageText } from './message.js';

// onadata's messaging API (seed 002): `POST {target_type, target_id, message}`. Targets map to
// what the broker already has (README, "onadata messaging"): a `user` is a user id; an `xform`
// or a `project` is the thread `xform:<id>` / `project:<id>`, whose members are the people with
// view permission on it (the app adds them as subscribers, as it grants the permission).
export const OnadataTargetType = t.keyof({ user: null, xform: null, project: null }, 'target_type');
export type OnadataTargetType = t.TypeOf<typeof OnadataTargetType>;

/** onadata's ids are integers; ours may be any id. Either is accepted, as JSON gives it. */
export const OnadataTargetId = t.union(
  [boundedInt(0, Number.MAX_SAFE_INTEGER, 'integer id'), UserId],
  'target_id (an integer or an id of 1..128 of A-Z a-z 0-9 . _ : @ + = -)',
);
export type OnadataTargetId = t.TypeOf<typeof OnadataTargetId>;

export const OnadataMessageBody = t.type(
  { target_type: OnadataTargetType, target_id: OnadataTargetId, message: MessageText },
  'OnadataMessageBody',
);

export type OnadataTarget =
  | { readonly kind: 'user'; readonly uid: Uid }
  | { readonly kind: 'thread'; readonly tid: ThreadId };

/**
 * `xform:<pk>` and `project:<pk>` are onadata's forms and projects: their messages go out on
 * onadata's MQTT topics (`/<root>/xform/<pk>/...`, adapters/channels/mqtt-mapper.ts), which
 * every listener of the form or project reads. So only an admin (the app's service token)
 * may create one (domain/thread.ts).
 */
export const isOnadataThreadId = (tid: string): boolean => /^(xform|project):./.test(tid);

// A form's or project's pk is an integer in onadata, which reads "01337" as 1337: so does this,
// or `"target_id": "01337"` would name a thread nobody has. A user id stays as given (ours are strings).
const pkOf = (id: OnadataTargetId): string => {
  const s = String(id);
  return /^\d+$/.test(s) ? BigInt(s).toString() : s;
};

/** Where a target's messages live: the user, or the form's / project's thread. */
export const onadataTarget = (type: OnadataTargetType, id: OnadataTargetId): OnadataTarget =>
  type === 'user'
    ? { kind: 'user', uid: asUserId(String(id)) }
    : { kind: 'thread', tid: asThreadId(`${type}:${pkOf(id)}`) };

/** The target id as onadata wrote it: a number when it is one. */
export const targetIdJson = (id: string | number): string | number =>
  typeof id === 'number' ? id : /^(0|[1-9]\d{0,14})$/.test(id) ? Number(id) : id;

/** A message as onadata answered it: `id` is the log position of its publication. */
export interface OnadataMessage {
  readonly id: number;
  readonly verb: 'message';
  readonly message: string;
  readonly user: string;
  readonly timestamp: string;
}
