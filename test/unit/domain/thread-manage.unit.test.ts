import { describe, expect, it } from 'vitest';
import { threadDecider } from '../../../domain/thread.js';
import type { ThreadEvent, ThreadRole } from '../../../schema/events.js';
import { gwt } from './gwt.js';
import { alice, bob, carol, root, tid, uid } from './fixtures.js';

// The management API's decisions (issue 14): change a thread's settings, remove a member's every role.
const given = gwt(threadDecider);
const T = tid('team');
const created: ThreadEvent = {
  type: 'ThreadCreated',
  data: { tid: T, owner: uid('alice'), opens: false, openp: false },
};
const added = (who: string, role: ThreadRole): ThreadEvent => ({
  type: 'ThreadMemberAdded',
  data: { tid: T, uid: uid(who), role },
});
const removed = (who: string, role: ThreadRole): ThreadEvent => ({
  type: 'ThreadMemberRemoved',
  data: { tid: T, uid: uid(who), role },
});
const change = (caller: typeof alice, c: { name?: string; opens?: boolean; openp?: boolean }) =>
  ({ type: 'ChangeThreadSettings', tid: T, change: c, caller }) as const;

describe('ChangeThreadSettings', () => {
  it('records only what differs, for the owner, a thread admin and an admin', () => {
    given([created])
      .when(change(alice, { name: 'Team', opens: true, openp: false }))
      .then([{ type: 'ThreadSettingsChanged', data: { tid: T, name: 'Team', opens: true } }]);
    given([created, added('bob', 'admin')])
      .when(change(bob, { openp: true }))
      .then([{ type: 'ThreadSettingsChanged', data: { tid: T, openp: true } }]);
    given([created])
      .when(change(root, { opens: true }))
      .then([{ type: 'ThreadSettingsChanged', data: { tid: T, opens: true } }]);
  });
  it('is already satisfied when nothing changes (the fold applied the earlier change)', () => {
    given([created, { type: 'ThreadSettingsChanged', data: { tid: T, name: 'Team', opens: true } }])
      .when(change(alice, { name: 'Team', opens: true }))
      .then([]);
  });
  it('refuses a member who does not manage the thread, and hides it from a stranger', () => {
    given([created, added('carol', 'subscriber')])
      .when(change(carol, { opens: true }))
      .then({ kind: 'forbidden', code: 'SettingsAreManagedByThreadAdmins' });
    given([created])
      .when(change(carol, { opens: true }))
      .then({ kind: 'not_found', code: 'ThreadNotFound' });
    given([])
      .when(change(alice, { opens: true }))
      .then({ kind: 'not_found', code: 'ThreadNotFound' });
  });
  it('refuses a name over the bound, naming it', () => {
    given([created])
      .when(change(alice, { name: 'x'.repeat(201) }))
      .then({ kind: 'invalid', code: 'ThreadNameIsTooLong' });
  });
  it('opening the thread lets a stranger subscribe afterwards', () => {
    const opened: ThreadEvent = { type: 'ThreadSettingsChanged', data: { tid: T, opens: true } };
    given([created, opened])
      .when({ type: 'Subscribe', tid: T, caller: carol })
      .then([added('carol', 'subscriber')]);
  });
});

describe('RemoveMember without a role', () => {
  it('removes every role the member holds, in one decision', () => {
    given([created, added('carol', 'subscriber'), added('carol', 'publisher')])
      .when({ type: 'RemoveMember', tid: T, uid: uid('carol'), caller: alice })
      .then([removed('carol', 'publisher'), removed('carol', 'subscriber')]);
  });
  it('is already satisfied for a non-member; a role not held removes nothing', () => {
    given([created])
      .when({ type: 'RemoveMember', tid: T, uid: uid('carol'), caller: alice })
      .then([]);
    const r = given([created, added('carol', 'subscriber')]).when({
      type: 'RemoveMember',
      tid: T,
      uid: uid('carol'),
      role: 'admin',
      caller: alice,
    });
    expect(r.result).toEqual({ _tag: 'Right', right: [] });
  });
});
