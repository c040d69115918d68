import { describe, expect, it } from 'vitest';
import { fold } from '../../../domain/decider.js';
import { DEVICE_MOVED, userDecider } from '../../../domain/user.js';
import type { Device } from '../../../schema/devices.js';
import type { UserEvent } from '../../../schema/events.js';
import { gwt } from './gwt.js';
import { alice, bob, did, root, uid } from './fixtures.js';

const given = gwt(userDecider);
const A = uid('alice');
const iphone: Device = { os: 'ios', token: 'apns-token-1' };
const pixel: Device = { os: 'android', token: 'fcm-token-1' };
const browser: Device = { endpoint: 'https://push.example.org/abc', keys: { p256dh: 'p', auth: 'a' } };
const enlisted = (deviceId: string, device: Device): UserEvent => ({
  type: 'DeviceEnlisted',
  data: { uid: A, deviceId: did(deviceId), device },
});
const recognized = (via: 'token' | 'addressed'): UserEvent => ({ type: 'UserRecognized', data: { uid: A, via } });

describe('Recognize', () => {
  it('records the first call with a token', () => {
    given([])
      .when({ type: 'Recognize', uid: A, via: 'token' })
      .then([recognized('token')]);
  });
  it('does nothing once recognized by token', () => {
    given([recognized('token')])
      .when({ type: 'Recognize', uid: A, via: 'token' })
      .then([]);
  });
  it('still records the first sign-in of a user who was only addressed so far', () => {
    given([recognized('addressed')])
      .when({ type: 'Recognize', uid: A, via: 'token' })
      .then([recognized('token')]);
  });
  it('does not record being addressed after the user is known', () => {
    given([recognized('token')])
      .when({ type: 'Recognize', uid: A, via: 'addressed' })
      .then([]);
    given([recognized('addressed')])
      .when({ type: 'Recognize', uid: A, via: 'addressed' })
      .then([]);
  });
});

describe('Enlist', () => {
  it('enlists APNs, FCM and web push devices', () => {
    given([])
      .when({ type: 'Enlist', uid: A, deviceId: did('d1'), device: iphone })
      .then([enlisted('d1', iphone)]);
    given([])
      .when({ type: 'Enlist', uid: A, deviceId: did('d2'), device: pixel })
      .then([enlisted('d2', pixel)]);
    given([])
      .when({ type: 'Enlist', uid: A, deviceId: did('d3'), device: browser })
      .then([enlisted('d3', browser)]);
  });
  it('does nothing when the identical device is already the newest', () => {
    given([enlisted('d1', iphone)])
      .when({ type: 'Enlist', uid: A, deviceId: did('d1'), device: { token: 'apns-token-1', os: 'ios' } })
      .then([]);
  });
  it('re-enlists an older device so it becomes the newest, replacing its old entry', () => {
    const history = [enlisted('d1', iphone), enlisted('d2', pixel)];
    given(history)
      .when({ type: 'Enlist', uid: A, deviceId: did('d1'), device: iphone })
      .then([enlisted('d1', iphone)]);
    const state = fold(userDecider, [...history, enlisted('d1', iphone)]);
    expect(state.devices.map((d) => d.deviceId)).toEqual(['d2', 'd1']);
  });
  it('records changed data for the same device (rotated web push keys)', () => {
    const rotated: Device = { ...browser, keys: { p256dh: 'p2', auth: 'a2' } };
    given([enlisted('d3', browser)])
      .when({ type: 'Enlist', uid: A, deviceId: did('d3'), device: rotated })
      .then([enlisted('d3', rotated)]);
  });
});

describe('RevokeDevice', () => {
  const revoke = { type: 'RevokeDevice', uid: A, deviceId: did('d1'), reason: 'gone' } as const;
  it('removes an enlisted device', () => {
    given([enlisted('d1', iphone)])
      .when({ ...revoke, caller: alice })
      .then([{ type: 'DeviceRevoked', data: { uid: A, deviceId: did('d1'), reason: 'gone' } }]);
    const state = fold(userDecider, [
      enlisted('d1', iphone),
      { type: 'DeviceRevoked', data: { uid: A, deviceId: did('d1'), reason: 'gone' } },
    ]);
    expect(state.devices).toEqual([]);
  });
  it('does nothing for a device that is not enlisted', () => {
    given([])
      .when({ ...revoke, caller: root })
      .then([]);
  });
  it('is refused to another user', () => {
    given([enlisted('d1', iphone)])
      .when({ ...revoke, caller: bob })
      .then({ kind: 'forbidden', code: 'ProfileIsNotYours' });
  });
});

// A device another user enlisted is revoked as that enlistment (delivery/moves.ts), named by
// its revision in the user's stream: not once the user enlisted it again, nor twice.
describe('RevokeDevice of one enlistment (the device moved to another user)', () => {
  const moved = {
    type: 'RevokeDevice',
    uid: A,
    deviceId: did('d1'),
    reason: DEVICE_MOVED,
    caller: root,
    enlisted: 1,
  } as const;
  const gone: UserEvent = { type: 'DeviceRevoked', data: { uid: A, deviceId: did('d1'), reason: DEVICE_MOVED } };
  it('Given the device was enlisted at revision 1, When that enlistment is revoked, Then it is revoked as moved', () => {
    given([recognized('token'), enlisted('d1', iphone), enlisted('d2', pixel)])
      .when(moved)
      .then([gone]);
  });
  it('Given the user enlisted it again since, When the older enlistment is revoked, Then nothing is', () => {
    given([recognized('token'), enlisted('d1', iphone), enlisted('d2', pixel), enlisted('d1', iphone)])
      .when(moved)
      .then([]);
  });
  it('Given it was revoked already, When it is revoked again (a replay, a retry), Then nothing is', () => {
    given([recognized('token'), enlisted('d1', iphone), gone])
      .when(moved)
      .then([]);
  });
  it('Given it was revoked and enlisted again, When the first enlistment is revoked, Then nothing is', () => {
    given([recognized('token'), enlisted('d1', iphone), gone, enlisted('d1', iphone)])
      .when(moved)
      .then([]);
  });
  it('counts every event of the stream, an erasure included, in the revision', () => {
    const state = fold(userDecider, [
      recognized('token'),
      enlisted('d1', iphone),
      { type: 'UserErased', data: { uid: A } },
      enlisted('d1', iphone),
    ]);
    expect(state.revision).toBe(3);
    expect(state.devices.map((d) => d.revision)).toEqual([3]);
  });
});

describe('ChangeProfile', () => {
  const change = (c: object, by = alice) => ({ type: 'ChangeProfile', uid: A, change: c, caller: by }) as const;
  it('sets and clears contact points', () => {
    given([])
      .when(change({ email: ' a@example.org ', cell: '+1 (415) 555-0100' }))
      .then([{ type: 'ContactPointsChanged', data: { uid: A, email: 'a@example.org', cell: '+14155550100' } }]);
    given([{ type: 'ContactPointsChanged', data: { uid: A, email: 'a@example.org' } }])
      .when(change({ email: null }))
      .then([{ type: 'ContactPointsChanged', data: { uid: A, email: null } }]);
  });
  it('emits only the contact points that changed, and nothing when none did', () => {
    const had: UserEvent = {
      type: 'ContactPointsChanged',
      data: { uid: A, email: 'a@example.org', cell: '+14155550100' },
    };
    given([had])
      .when(change({ email: 'a@example.org', cell: '+44 20 7946 0958' }))
      .then([{ type: 'ContactPointsChanged', data: { uid: A, cell: '+442079460958' } }]);
    given([had])
      .when(change({ email: 'a@example.org', cell: '+14155550100' }))
      .then([]);
    given([])
      .when(change({ email: null }))
      .then([]);
  });
  it('names the field of a malformed contact point', () => {
    const email = given([]).when(change({ email: 'not-an-email' }));
    email.then({ kind: 'invalid', code: 'EmailIsMalformed' });
    expect(JSON.stringify(email.result)).toContain('email');
    const cell = given([]).when(change({ cell: '12' }));
    cell.then({ kind: 'invalid', code: 'CellIsMalformed' });
    expect(JSON.stringify(cell.result)).toContain('cell');
  });
  it('refuses the whole change when one field is bad', () => {
    given([])
      .when(change({ email: 'a@example.org', channels: ['email', 'BAD NAME'] }))
      .then({ kind: 'invalid', code: 'ChannelNameIsInvalid', msg: expect.stringContaining('channels[1]') as unknown });
  });
  it('sets user-level and per-thread channel preferences, ~ opting out', () => {
    given([])
      .when(change({ channels: ['webpush', '~sms', 'webpush'] }))
      .then([{ type: 'ChannelPreferencesChanged', data: { uid: A, channels: ['webpush', '~sms'] } }]);
    const perThread = {
      type: 'ChannelPreferencesChanged',
      data: { uid: A, tid: 'news', channels: ['~email'] },
    } as UserEvent;
    given([])
      .when(change({ threadChannels: { tid: 'news', channels: ['~email'] } }))
      .then([perThread]);
    given([perThread])
      .when(change({ threadChannels: { tid: 'news', channels: ['~email'] } }))
      .then([]);
  });
  it('replaces attributes, which must be a JSON object', () => {
    given([])
      .when(change({ attributes: { plan: 'pro', seats: 3 } }))
      .then([{ type: 'UserAttributesChanged', data: { uid: A, attributes: { plan: 'pro', seats: 3 } } }]);
    given([{ type: 'UserAttributesChanged', data: { uid: A, attributes: { plan: 'pro' } } }])
      .when(change({ attributes: { plan: 'pro' } }))
      .then([]);
    given([])
      .when(change({ attributes: { f: () => 1 } }))
      .then({ kind: 'invalid', code: 'AttributesAreNotAJsonObject' });
  });
  it('records the time zone and quiet hours when they change, and clears them with null', () => {
    const quiet = { from: '22:00', to: '07:00', timezone: 'Europe/Paris' };
    given([])
      .when(change({ timezone: 'Asia/Tokyo', quietHours: quiet }))
      .then([{ type: 'TimePreferencesChanged', data: { uid: A, timezone: 'Asia/Tokyo', quietHours: quiet } }]);
    given([{ type: 'TimePreferencesChanged', data: { uid: A, timezone: 'Asia/Tokyo', quietHours: quiet } }])
      .when(change({ timezone: 'Asia/Tokyo', quietHours: { ...quiet } }))
      .then([]);
    given([{ type: 'TimePreferencesChanged', data: { uid: A, timezone: 'Asia/Tokyo', quietHours: quiet } }])
      .when(change({ quietHours: null }))
      .then([{ type: 'TimePreferencesChanged', data: { uid: A, quietHours: null } }]);
  });
  it('lets only the user themselves or an admin change a profile', () => {
    given([])
      .when(change({ email: 'a@example.org' }, bob))
      .then({ kind: 'forbidden', code: 'ProfileIsNotYours' });
    given([])
      .when(change({ email: 'a@example.org' }, root))
      .then([{ type: 'ContactPointsChanged', data: { uid: A, email: 'a@example.org' } }]);
  });
});
