import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import type { ThreadEvent, ThreadRole } from '../schema/events.js';
import type { ThreadId, UserId } from '../schema/ids.js';
import { isOnadataThreadId } from '../schema/onadata.js';
import type { Caller } from './caller.js';
import type { Decider } from './decider.js';
import { conflict, forbidden, invalid, notFound } from './errors.js';
import type { DomainError } from './errors.js';
import { MAX_THREAD_NAME, checkThreadSettings } from './thread-settings.js';
import type { ThreadSettingsInput } from './thread-settings.js';
import { canSeeThread, evolveThread, hasRole, initialThreadState, managesThread, rolesOf } from './thread-state.js';
import type { ActiveThread, ThreadSettingsData, ThreadState } from './thread-state.js';

export type ThreadCommand =
  | { readonly type: 'CreateThread'; readonly settings: ThreadSettingsInput; readonly caller: Caller }
  | { readonly type: 'Subscribe'; readonly tid: ThreadId; readonly caller: Caller }
  | { readonly type: 'Unsubscribe'; readonly tid: ThreadId; readonly uid: UserId; readonly caller: Caller }
  | {
      readonly type: 'AddMember';
      readonly tid: ThreadId;
      readonly uid: UserId;
      readonly role: ThreadRole;
      readonly caller: Caller;
    }
  | {
      readonly type: 'RemoveMember';
      readonly tid: ThreadId;
      readonly uid: UserId;
      /** Without a role: every role the member holds, in one decision. */
      readonly role?: ThreadRole;
      readonly caller: Caller;
    }
  | {
      readonly type: 'ChangeThreadSettings';
      readonly tid: ThreadId;
      readonly change: ThreadSettingsChange;
      readonly caller: Caller;
    }
  /**
   * Publishing to a thread nobody has created claims it: it becomes the caller's private
   * thread (the one claim besides CreateThread). Decided on a thread that exists after all (a
   * concurrent claim won), it asks what publishing there asks: the caller's publish rights.
   */
  | { readonly type: 'ClaimThread'; readonly tid: ThreadId; readonly caller: Caller };

/** What a manager may change after creation: the name and whether the thread is open. */
export interface ThreadSettingsChange {
  readonly name?: string;
  readonly opens?: boolean;
  readonly openp?: boolean;
}

type Decision = Either<DomainError, readonly ThreadEvent[]>;
const none: Decision = E.right([]);

// A thread the caller may not see gets exactly this answer, like one that does not exist, so
// neither status nor body tells a stranger whether a private thread id is in use.
export const threadNotFound = notFound('ThreadNotFound', 'no thread has this tid');
export const threadIsClosedToSubscribers = forbidden(
  'ThreadIsClosedToSubscribers',
  'only the owner or an admin may subscribe to this thread',
);
export const threadIsClosedToPublishers = forbidden(
  'ThreadIsClosedToPublishers',
  'only the owner, admins or publishers may publish to this thread',
);
export const settingsAreManagedByAdmins = forbidden(
  'SettingsAreManagedByThreadAdmins',
  "only the thread owner or an admin may change the thread's settings",
);
export const membersAreManagedByAdmins = forbidden(
  'MembersAreManagedByThreadAdmins',
  'only the thread owner or an admin may change other members',
);

// Publishing to an unknown thread claims it: the caller owns it and nobody else may join or
// publish until the owner opens it or adds them. Subscribing claims nothing (no squatting on
// someone else's predictable thread id).
const privateThread = (tid: ThreadId, owner: UserId): ThreadEvent => ({
  type: 'ThreadCreated',
  data: { tid, owner, opens: false, openp: false },
});

// onadata's thread ids publish on the MQTT topics a form's or project's listeners read (the
// thread's name and membership mirror the form's permissions): a user who claimed
// `xform:<pk>` first could post to every listener of that form and keep the app from
// creating its thread. Only an admin claims one. Checked before whether it exists, so the
// refusal tells nothing about that.
export const threadIdIsReserved = forbidden(
  'ThreadIdIsReserved',
  "tid: xform:<id> and project:<id> are onadata's forms and projects (their MQTT topics); only an admin may create one",
);
const reservedFor = (tid: ThreadId, caller: Caller): boolean => !caller.admin && isOnadataThreadId(tid);

const created = (data: ThreadSettingsData): readonly ThreadEvent[] => [{ type: 'ThreadCreated', data }];
const added = (tid: ThreadId, uid: UserId, role: ThreadRole): ThreadEvent => ({
  type: 'ThreadMemberAdded',
  data: { tid, uid, role },
});
const removed = (tid: ThreadId, uid: UserId, role: ThreadRole): ThreadEvent => ({
  type: 'ThreadMemberRemoved',
  data: { tid, uid, role },
});

const subscribe = (c: Extract<ThreadCommand, { type: 'Subscribe' }>, s: ThreadState): Decision => {
  if (!canSeeThread(s, c.caller)) return E.left(threadNotFound);
  if (hasRole(s, c.caller.uid, 'subscriber')) return none;
  return s.settings.opens || managesThread(s, c.caller)
    ? E.right([added(c.tid, c.caller.uid, 'subscriber')])
    : E.left(threadIsClosedToSubscribers);
};

const unsubscribe = (c: Extract<ThreadCommand, { type: 'Unsubscribe' }>, s: ActiveThread): Decision => {
  if (c.uid !== c.caller.uid && !managesThread(s, c.caller)) return E.left(membersAreManagedByAdmins);
  return hasRole(s, c.uid, 'subscriber') ? E.right([removed(c.tid, c.uid, 'subscriber')]) : none;
};

const changeMember = (c: Extract<ThreadCommand, { type: 'AddMember' | 'RemoveMember' }>, s: ActiveThread): Decision => {
  if (!managesThread(s, c.caller)) return E.left(membersAreManagedByAdmins);
  if (c.type === 'AddMember') return hasRole(s, c.uid, c.role) ? none : E.right([added(c.tid, c.uid, c.role)]);
  const roles = c.role === undefined ? rolesOf(s, c.uid) : hasRole(s, c.uid, c.role) ? [c.role] : [];
  return E.right(roles.map((r) => removed(c.tid, c.uid, r)));
};

// Only what differs from the current settings is recorded; a change that changes nothing is
// already satisfied. Channels, fallback, urgency and message types stay as created: triage
// plans from them and a change there would need a migration of plans in flight.
const changeSettings = (c: Extract<ThreadCommand, { type: 'ChangeThreadSettings' }>, s: ActiveThread): Decision => {
  if (!managesThread(s, c.caller)) return E.left(settingsAreManagedByAdmins);
  const { name, opens, openp } = c.change;
  if (name !== undefined && name.length > MAX_THREAD_NAME)
    return E.left(invalid('ThreadNameIsTooLong', `name may have at most ${MAX_THREAD_NAME} characters`));
  const diff = {
    ...(name !== undefined && name !== (s.settings.name ?? '') ? { name } : {}),
    ...(opens !== undefined && opens !== s.settings.opens ? { opens } : {}),
    ...(openp !== undefined && openp !== s.settings.openp ? { openp } : {}),
  };
  return Object.keys(diff).length === 0
    ? none
    : E.right([{ type: 'ThreadSettingsChanged', data: { tid: c.tid, ...diff } }]);
};

/** May `caller` publish to this thread? A check that decides nothing: publishing to an existing thread writes no thread event. */
export const mayPublish = (s: ActiveThread, caller: Caller): Either<DomainError, void> =>
  s.settings.openp || managesThread(s, caller) || hasRole(s, caller.uid, 'publisher')
    ? E.right(undefined)
    : E.left(threadIsClosedToPublishers);

// A user publishing to an onadata id nobody created gets the answer of a thread they may not
// publish to, the same whether it exists or not.
const claimThread = (c: Extract<ThreadCommand, { type: 'ClaimThread' }>, s: ThreadState): Decision =>
  s.stage === 'Absent'
    ? reservedFor(c.tid, c.caller)
      ? E.left(threadIsClosedToPublishers)
      : E.right([privateThread(c.tid, c.caller.uid)])
    : E.map((): readonly ThreadEvent[] => [])(mayPublish(s, c.caller));

export const decideThread = (command: ThreadCommand, state: ThreadState): Decision => {
  switch (command.type) {
    case 'CreateThread':
      if (reservedFor(command.settings.tid, command.caller)) return E.left(threadIdIsReserved);
      return state.stage === 'Active'
        ? E.left(conflict('ThreadAlreadyExists', `thread ${command.settings.tid} already exists`))
        : E.map(created)(checkThreadSettings(command.settings, command.caller.uid));
    case 'Subscribe':
      return subscribe(command, state);
    case 'ClaimThread':
      return claimThread(command, state);
    case 'Unsubscribe':
      return canSeeThread(state, command.caller) ? unsubscribe(command, state) : E.left(threadNotFound);
    case 'AddMember':
    case 'RemoveMember':
      return canSeeThread(state, command.caller) ? changeMember(command, state) : E.left(threadNotFound);
    case 'ChangeThreadSettings':
      return canSeeThread(state, command.caller) ? changeSettings(command, state) : E.left(threadNotFound);
    default: {
      const unhandled: never = command;
      return unhandled;
    }
  }
};

export const threadDecider: Decider<ThreadCommand, ThreadEvent, ThreadState> = {
  initialState: initialThreadState,
  evolve: evolveThread,
  decide: decideThread,
};
