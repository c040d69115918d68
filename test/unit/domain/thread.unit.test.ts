import { describe, expect, it } from 'vitest';
import type { Caller } from '../../../domain/caller.js';
import { threadDecider } from '../../../domain/thread.js';
import type { ThreadEvent, ThreadRole } from '../../../schema/events.js';
import { gwt } from './gwt.js';
import { alice, bob, carol, root, tid, uid } from './fixtures.js';

const given = gwt(threadDecider);
const T = tid('news');
const created = (opens: boolean, openp = false, owner = 'alice'): ThreadEvent => ({
  type: 'ThreadCreated',
  data: { tid: T, owner: uid(owner), opens, openp },
});
const added = (who: string, role: ThreadRole): ThreadEvent => ({
  type: 'ThreadMemberAdded',
  data: { tid: T, uid: uid(who), role },
});
const removed = (who: string, role: ThreadRole): ThreadEvent => ({
  type: 'ThreadMemberRemoved',
  data: { tid: T, uid: uid(who), role },
});
const closed = [created(false)];
const withAdminBob = [created(false), added('bob', 'admin')];

describe('CreateThread', () => {
  it('makes the caller the owner of a private thread by default', () => {
    given([])
      .when({ type: 'CreateThread', settings: { tid: T }, caller: bob })
      .then([created(false, false, 'bob')]);
  });
  it('keeps the given settings', () => {
    given([])
      .when({
        type: 'CreateThread',
        caller: alice,
        settings: {
          tid: T,
          name: 'News',
          opens: true,
          openp: false,
          urgency: 2,
          channels: ['websocket', 'webpush'],
          fallback: ['email'],
          mtypes: ['alert'],
        },
      })
      .then([
        {
          type: 'ThreadCreated',
          data: {
            tid: T,
            owner: uid('alice'),
            opens: true,
            openp: false,
            name: 'News',
            urgency: 2,
            channels: ['websocket', 'webpush'],
            fallback: ['email'],
            mtypes: ['alert'],
          },
        },
      ]);
  });
  it('refuses an existing tid', () => {
    given(closed)
      .when({ type: 'CreateThread', settings: { tid: T }, caller: alice })
      .then({ kind: 'conflict', code: 'ThreadAlreadyExists' });
  });
  it('refuses bad settings, naming the field', () => {
    given([])
      .when({ type: 'CreateThread', settings: { tid: T, urgency: 5 }, caller: alice })
      .then({ kind: 'invalid', code: 'UrgencyIsInvalid' });
    given([])
      .when({ type: 'CreateThread', settings: { tid: T, fallback: ['Email!'] }, caller: alice })
      .then({
        kind: 'invalid',
        code: 'ChannelNameIsInvalid',
        msg: 'fallback[0] must be a channel name like "email" or "~sms" (opted out)',
      });
  });
});

describe('Subscribe', () => {
  const sub = (caller: Caller) => ({ type: 'Subscribe', tid: T, caller }) as const;
  it('lets anyone subscribe to a thread open to subscribers', () => {
    given([created(true)])
      .when(sub(carol))
      .then([added('carol', 'subscriber')]);
  });
  it('answers a stranger on a closed thread exactly as on an unknown one (no existence oracle)', () => {
    given(closed).when(sub(carol)).then({ kind: 'not_found', code: 'ThreadNotFound' });
    expect(given(closed).when(sub(carol)).result).toEqual(given([]).when(sub(carol)).result);
  });
  it('refuses a member who may not subscribe, since they know the thread', () => {
    given([...closed, added('carol', 'publisher')])
      .when(sub(carol))
      .then({ kind: 'forbidden', code: 'ThreadIsClosedToSubscribers' });
  });
  it('lets the owner, a thread admin and a global admin subscribe to a closed thread', () => {
    given(closed)
      .when(sub(alice))
      .then([added('alice', 'subscriber')]);
    given(withAdminBob)
      .when(sub(bob))
      .then([added('bob', 'subscriber')]);
    given(closed)
      .when(sub(root))
      .then([added('root', 'subscriber')]);
  });
  it('does nothing for a subscriber', () => {
    given([created(true), added('carol', 'subscriber')])
      .when(sub(carol))
      .then([]);
  });
  it('claims nothing: subscribing to an unknown thread is not found (only creating or publishing claims a tid)', () => {
    given([]).when(sub(carol)).then({ kind: 'not_found', code: 'ThreadNotFound' });
  });
});

describe('Unsubscribe', () => {
  const unsub = (who: string, caller: Caller) => ({ type: 'Unsubscribe', tid: T, uid: uid(who), caller }) as const;
  const subscribed = [created(true), added('carol', 'subscriber'), added('bob', 'admin')];
  it('lets a subscriber leave', () => {
    given(subscribed)
      .when(unsub('carol', carol))
      .then([removed('carol', 'subscriber')]);
  });
  it('does nothing for a non-subscriber', () => {
    given(subscribed).when(unsub('alice', alice)).then([]);
    given([...subscribed, removed('carol', 'subscriber')])
      .when(unsub('carol', carol))
      .then([]);
  });
  it('lets the owner, a thread admin or a global admin remove someone else', () => {
    given(subscribed)
      .when(unsub('carol', alice))
      .then([removed('carol', 'subscriber')]);
    given(subscribed)
      .when(unsub('carol', bob))
      .then([removed('carol', 'subscriber')]);
    given(subscribed)
      .when(unsub('carol', root))
      .then([removed('carol', 'subscriber')]);
  });
  it('refuses to let a member remove someone else', () => {
    given([...subscribed, added('dave', 'subscriber')])
      .when(unsub('carol', { uid: uid('dave'), admin: false }))
      .then({ kind: 'forbidden', code: 'MembersAreManagedByThreadAdmins' });
  });
  it('answers not found for an unknown thread, and for one the caller may not see', () => {
    given([]).when(unsub('carol', carol)).then({ kind: 'not_found', code: 'ThreadNotFound' });
    given(closed).when(unsub('carol', carol)).then({ kind: 'not_found', code: 'ThreadNotFound' });
    given(closed).when(unsub('alice', carol)).then({ kind: 'not_found', code: 'ThreadNotFound' });
  });
});

describe('AddMember and RemoveMember', () => {
  const add = (who: string, role: ThreadRole, caller: Caller) =>
    ({ type: 'AddMember', tid: T, uid: uid(who), role, caller }) as const;
  const remove = (who: string, role: ThreadRole, caller: Caller) =>
    ({ type: 'RemoveMember', tid: T, uid: uid(who), role, caller }) as const;
  it('lets the owner and admins manage members', () => {
    given(closed)
      .when(add('carol', 'publisher', alice))
      .then([added('carol', 'publisher')]);
    given(withAdminBob)
      .when(add('carol', 'admin', bob))
      .then([added('carol', 'admin')]);
    given([...closed, added('carol', 'publisher')])
      .when(remove('carol', 'publisher', root))
      .then([removed('carol', 'publisher')]);
  });
  it('refuses everyone else: members are forbidden, strangers to a private thread are told it does not exist', () => {
    given(closed)
      .when(add('carol', 'publisher', carol))
      .then({ kind: 'not_found', code: 'ThreadNotFound' });
    given([created(true)])
      .when(add('carol', 'publisher', carol))
      .then({ kind: 'forbidden', code: 'MembersAreManagedByThreadAdmins' });
    given([...closed, added('carol', 'publisher')])
      .when(remove('carol', 'publisher', carol))
      .then({ kind: 'forbidden', code: 'MembersAreManagedByThreadAdmins' });
  });
  it('does nothing when the member already has (or lacks) the role', () => {
    given([...closed, added('carol', 'publisher')])
      .when(add('carol', 'publisher', alice))
      .then([]);
    given(closed)
      .when(remove('carol', 'publisher', alice))
      .then([]);
  });
  it('answers not found for an unknown thread', () => {
    given([])
      .when(add('carol', 'publisher', root))
      .then({ kind: 'not_found', code: 'ThreadNotFound' });
    given([])
      .when(remove('carol', 'publisher', root))
      .then({ kind: 'not_found', code: 'ThreadNotFound' });
  });
});

describe('ClaimThread (publishing to a thread)', () => {
  const pub = (caller: Caller) => ({ type: 'ClaimThread', tid: T, caller }) as const;
  it("claims an unknown thread as the caller's private thread", () => {
    given([])
      .when(pub(carol))
      .then([created(false, false, 'carol')]);
  });
  it('allows the owner, admins, publishers, global admins, and anyone when open to publishers', () => {
    given(closed).when(pub(alice)).then([]);
    given(withAdminBob).when(pub(bob)).then([]);
    given([...closed, added('carol', 'publisher')])
      .when(pub(carol))
      .then([]);
    given(closed).when(pub(root)).then([]);
    given([created(false, true)])
      .when(pub(carol))
      .then([]);
  });
  it('refuses others, subscribers included', () => {
    given([...closed, added('carol', 'subscriber')])
      .when(pub(carol))
      .then({ kind: 'forbidden', code: 'ThreadIsClosedToPublishers' });
    given([created(true, false)])
      .when(pub(carol))
      .then({ kind: 'forbidden', code: 'ThreadIsClosedToPublishers' });
  });
});

// `xform:<pk>` and `project:<pk>` are onadata's forms and projects: their messages go out on
// the onadata MQTT topics the form's and project's listeners read. A user who claimed one
// could post to every listener of a form and keep the app from creating its thread.
describe("onadata's thread ids (xform:, project:)", () => {
  const F = tid('xform:4242');
  const P = tid('project:7');
  it('only an admin may create one', () => {
    for (const t of [F, P])
      given([])
        .when({ type: 'CreateThread', settings: { tid: t }, caller: carol })
        .then({ kind: 'forbidden', code: 'ThreadIdIsReserved' });
    given([])
      .when({ type: 'CreateThread', settings: { tid: F, name: 'Form' }, caller: root })
      .then([
        { type: 'ThreadCreated', data: { tid: F, owner: uid('root'), opens: false, openp: false, name: 'Form' } },
      ]);
  });
  it('publishing claims none for a user, with the answer of a thread they may not publish to', () => {
    given([])
      .when({ type: 'ClaimThread', tid: F, caller: carol })
      .then({ kind: 'forbidden', code: 'ThreadIsClosedToPublishers' });
    given([])
      .when({ type: 'ClaimThread', tid: P, caller: root })
      .then([{ type: 'ThreadCreated', data: { tid: P, owner: uid('root'), opens: false, openp: false } }]);
  });
  it('other ids with a colon stay free to claim', () => {
    given([])
      .when({ type: 'CreateThread', settings: { tid: tid('xformx:1') }, caller: carol })
      .then([
        { type: 'ThreadCreated', data: { tid: tid('xformx:1'), owner: uid('carol'), opens: false, openp: false } },
      ]);
  });
});
