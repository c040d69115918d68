import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import { LIMITS, clip } from '../schema/bounds.js';
import type { Device } from '../schema/devices.js';
import type { EventOf, UserEvent } from '../schema/events.js';
import type { DeviceId, UserId } from '../schema/ids.js';
import type { Caller } from './caller.js';
import type { Decider } from './decider.js';
import { deepEqual } from './equal.js';
import { forbidden } from './errors.js';
import type { DomainError } from './errors.js';
import { decideProfileChange } from './user-profile.js';
import type { ProfileChange } from './user-profile.js';
import { evolveUser, initialUserState } from './user-state.js';
import type { UserState } from './user-state.js';

export type UserCommand =
  | { readonly type: 'Recognize'; readonly uid: UserId; readonly via: 'token' | 'addressed' }
  | { readonly type: 'Enlist'; readonly uid: UserId; readonly deviceId: DeviceId; readonly device: Device }
  | {
      readonly type: 'RevokeDevice';
      readonly uid: UserId;
      readonly deviceId: DeviceId;
      readonly reason: string;
      readonly caller: Caller;
      /**
       * Only the enlistment at this revision of the user's stream: a device another user enlisted
       * since (delivery/moves.ts) is revoked unless this user enlisted it again meanwhile.
       */
      readonly enlisted?: number;
    }
  | { readonly type: 'ChangeProfile'; readonly uid: UserId; readonly change: ProfileChange; readonly caller: Caller }
  | { readonly type: 'Erase'; readonly uid: UserId; readonly caller: Caller };

type Decision = Either<DomainError, readonly UserEvent[]>;
const none: Decision = E.right([]);

// "Recognized once" per way of learning: being addressed by a message does not count as
// having called the broker, so a later token still records the first sign-in.
const recognize = (c: Extract<UserCommand, { type: 'Recognize' }>, s: UserState): Decision => {
  const already = c.via === 'token' ? s.recognized === 'token' : s.recognized !== 'no';
  return already ? none : E.right([{ type: 'UserRecognized', data: { uid: c.uid, via: c.via } }]);
};

export const DEVICE_SUPERSEDED = `superseded: at most ${LIMITS.devices} devices per user`;

/** A device (the same token or endpoint) belongs to one user at a time: the latest to enlist it. */
export const DEVICE_MOVED = 'moved: enlisted by another user';

// A user keeps at most LIMITS.devices devices: the oldest beyond that are revoked in the same
// decision, so neither the state nor a delivery plan (one step per device) grows without bound.
const enlist = (c: Extract<UserCommand, { type: 'Enlist' }>, s: UserState): Decision => {
  const newest = s.devices[s.devices.length - 1];
  if (newest?.deviceId === c.deviceId && deepEqual(newest.device, c.device)) return none;
  const event: EventOf<'DeviceEnlisted'> = {
    type: 'DeviceEnlisted',
    data: { uid: c.uid, deviceId: c.deviceId, device: c.device },
  };
  const others = s.devices.filter((d) => d.deviceId !== c.deviceId);
  const surplus = others.slice(0, Math.max(0, others.length + 1 - LIMITS.devices));
  return E.right([
    event,
    ...surplus.map(
      (d): UserEvent => ({
        type: 'DeviceRevoked',
        data: { uid: c.uid, deviceId: d.deviceId, reason: DEVICE_SUPERSEDED },
      }),
    ),
  ]);
};

const revoke = (c: Extract<UserCommand, { type: 'RevokeDevice' }>, s: UserState): Decision => {
  if (c.caller.uid !== c.uid && !c.caller.admin) return E.left(profileIsNotYours);
  const held = s.devices.find((d) => d.deviceId === c.deviceId);
  if (held === undefined) return none;
  if (c.enlisted !== undefined && held.revision !== c.enlisted) return none;
  return E.right([
    { type: 'DeviceRevoked', data: { uid: c.uid, deviceId: c.deviceId, reason: clip(c.reason, LIMITS.reason) } },
  ]);
};

export const profileIsNotYours = forbidden(
  'ProfileIsNotYours',
  'only the user themselves or an admin may change a profile',
);

export const onlyAdminsErase = forbidden('OnlyAdminsErase', 'only an admin may erase a user');

// Erasing again is allowed (and recorded): an erasure whose event was lost after the keys were
// destroyed is completed by asking again.
const erase = (c: Extract<UserCommand, { type: 'Erase' }>): Decision =>
  c.caller.admin ? E.right([{ type: 'UserErased', data: { uid: c.uid } }]) : E.left(onlyAdminsErase);

export const decideUser = (command: UserCommand, state: UserState): Decision => {
  switch (command.type) {
    case 'Erase':
      return erase(command);
    case 'Recognize':
      return recognize(command, state);
    case 'Enlist':
      return enlist(command, state);
    case 'RevokeDevice':
      return revoke(command, state);
    case 'ChangeProfile':
      return command.caller.uid !== command.uid && !command.caller.admin
        ? E.left(profileIsNotYours)
        : decideProfileChange(command.uid, command.change, state);
    default: {
      const unhandled: never = command;
      return unhandled;
    }
  }
};

export const userDecider: Decider<UserCommand, UserEvent, UserState> = {
  initialState: initialUserState,
  evolve: evolveUser,
  decide: decideUser,
};
