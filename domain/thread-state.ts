import type { EventOf, ThreadEvent, ThreadRole } from '../schema/events.js';
import type { UserId } from '../schema/ids.js';
import type { Urgency } from '../schema/message.js';
import type { Caller } from './caller.js';
import { emptyPSet, pAdd, pDelete, pHas } from './pset.js';
import type { PSet } from './pset.js';

export type ThreadSettingsData = EventOf<'ThreadCreated'>['data'];

export interface ActiveThread {
  readonly stage: 'Active';
  readonly settings: ThreadSettingsData;
  readonly admins: PSet;
  readonly publishers: PSet;
  readonly subscribers: PSet;
}

export type ThreadState = { readonly stage: 'Absent' } | ActiveThread;

export const initialThreadState = (): ThreadState => ({ stage: 'Absent' });

const roleSet = { admin: 'admins', publisher: 'publishers', subscriber: 'subscribers' } as const;

export const hasRole = (t: ActiveThread, uid: UserId, role: ThreadRole): boolean => pHas(t[roleSet[role]], uid);

/** The roles `uid` holds in the thread (the owner holds none: ownership is not a role). */
export const rolesOf = (t: ActiveThread, uid: UserId): ThreadRole[] =>
  (['admin', 'publisher', 'subscriber'] as const).filter((r) => hasRole(t, uid, r));

// A membership event for a thread that was never created cannot be placed, so it is
// ignored rather than inventing an owner; the deciders never emit one.
export const evolveThread = (state: ThreadState, event: ThreadEvent): ThreadState => {
  switch (event.type) {
    case 'ThreadCreated':
      return {
        stage: 'Active',
        settings: event.data,
        admins: emptyPSet,
        publishers: emptyPSet,
        subscribers: emptyPSet,
      };
    case 'ThreadMemberAdded':
      if (state.stage === 'Absent') return state;
      return { ...state, [roleSet[event.data.role]]: pAdd(state[roleSet[event.data.role]], event.data.uid) };
    case 'ThreadMemberRemoved':
      if (state.stage === 'Absent') return state;
      return { ...state, [roleSet[event.data.role]]: pDelete(state[roleSet[event.data.role]], event.data.uid) };
    case 'ThreadSettingsChanged': {
      if (state.stage === 'Absent') return state;
      const { name, opens, openp } = event.data;
      return {
        ...state,
        settings: {
          ...state.settings,
          ...(name !== undefined ? { name } : {}),
          ...(opens !== undefined ? { opens } : {}),
          ...(openp !== undefined ? { openp } : {}),
        },
      };
    }
    default: {
      const unhandled: never = event;
      return unhandled;
    }
  }
};

/** Owner, thread admin, or global admin: may do anything the owner can. */
export const managesThread = (state: ThreadState, caller: Caller): boolean =>
  caller.admin || (state.stage === 'Active' && (state.settings.owner === caller.uid || pHas(state.admins, caller.uid)));

export const isThreadMember = (state: ThreadState, uid: UserId): boolean =>
  state.stage === 'Active' &&
  (state.settings.owner === uid ||
    pHas(state.subscribers, uid) ||
    pHas(state.admins, uid) ||
    pHas(state.publishers, uid));

/**
 * Whether the caller may know the thread exists: it is open to subscribers, or they are a
 * member, its owner, or an admin. Everyone else is answered as if it did not exist.
 */
export const canSeeThread = (state: ThreadState, caller: Caller): state is ActiveThread =>
  state.stage === 'Active' &&
  (state.settings.opens || managesThread(state, caller) || isThreadMember(state, caller.uid));

export const threadUrgency = (state: ThreadState): Urgency | undefined =>
  state.stage === 'Active' ? state.settings.urgency : undefined;
