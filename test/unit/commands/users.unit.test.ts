import { describe, expect, it } from 'vitest';
import { deviceIdOf } from '../../../commands/device-id.js';
import { createCommands } from '../../../commands/index.js';
import { asUserId } from '../../../schema/ids.js';
import type { Device } from '../../../schema/devices.js';
import { ctxFor, expectError, rightOf, setup, streamTypes } from './support.js';

const ann = ctxFor('ann');
const iphone: Device = { os: 'ios', token: 'apns-1' };
const browser: Device = { endpoint: 'https://fcm.googleapis.com/fcm/send/x', keys: { p256dh: 'p', auth: 'a' } };

describe('recognize', () => {
  it('records a user once, and answers repeat calls from memory without I/O', async () => {
    const { memory, commands, calls } = setup();
    const first = rightOf(await commands.recognize(ann));
    expect(await streamTypes(memory, 'user-ann')).toEqual(['UserRecognized']);
    const before = { ...calls };
    const again = rightOf(await commands.recognize(ann));
    expect(calls).toEqual(before);
    expect(again.position).toBe(first.position);
  });
  it('does not record a user twice across processes', async () => {
    const { memory, commands } = setup();
    rightOf(await commands.recognize(ann));
    const other = createCommands({ store: memory, ids: { randomId: () => 'id' } });
    rightOf(await other.recognize(ann));
    expect(await streamTypes(memory, 'user-ann')).toEqual(['UserRecognized']);
  });
  it('refuses a token subject that cannot name a stream', async () => {
    const { commands } = setup();
    expectError(await commands.recognize(ctxFor('bad id/with slash')), 'invalid', 'ActorIdIsInvalid');
  });
});

describe('enlist', () => {
  it('derives a stable device id from the channel and token', () => {
    expect(deviceIdOf(iphone)).toBe(deviceIdOf({ os: 'ios', token: 'apns-1' }));
    expect(deviceIdOf(iphone)).not.toBe(deviceIdOf({ os: 'android', token: 'apns-1' }));
    expect(deviceIdOf(browser)).toMatch(/^[0-9a-f]{32}$/);
  });
  it('enlists a device once however often it is sent, and moves a re-enlisted device to newest', async () => {
    const { memory, commands } = setup();
    rightOf(await commands.enlist(ann, iphone));
    rightOf(await commands.enlist(ann, iphone));
    rightOf(await commands.enlist(ann, browser));
    rightOf(await commands.enlist(ann, iphone));
    const events = await memory.read('user-ann');
    expect(events.map((e) => (e.data as { deviceId: string }).deviceId)).toEqual([
      deviceIdOf(iphone),
      deviceIdOf(browser),
      deviceIdOf(iphone),
    ]);
  });
});

describe('changeProfile and revokeDevice', () => {
  it('lets a user change their own profile and refuses others', async () => {
    const { memory, commands } = setup();
    rightOf(
      await commands.changeProfile(ann, asUserId('ann'), { email: 'ann@example.org', channels: ['webpush', '~sms'] }),
    );
    expect(await streamTypes(memory, 'user-ann')).toEqual(['ContactPointsChanged', 'ChannelPreferencesChanged']);
    expectError(
      await commands.changeProfile(ctxFor('ben'), asUserId('ann'), { email: null }),
      'forbidden',
      'ProfileIsNotYours',
    );
    rightOf(await commands.changeProfile(ctxFor('ops', { admin: true }), asUserId('ann'), { cell: '+14155550100' }));
    expect(await streamTypes(memory, 'user-ann')).toHaveLength(3);
    expectError(await commands.changeProfile(ann, asUserId('ann'), { email: 'nope' }), 'invalid', 'EmailIsMalformed');
  });
  it('revokes an enlisted device', async () => {
    const { memory, commands } = setup();
    rightOf(await commands.enlist(ann, iphone));
    rightOf(
      await commands.revokeDevice(
        ctxFor('dispatch', { admin: true }),
        asUserId('ann'),
        deviceIdOf(iphone),
        'Unregistered',
      ),
    );
    rightOf(
      await commands.revokeDevice(
        ctxFor('dispatch', { admin: true }),
        asUserId('ann'),
        deviceIdOf(iphone),
        'Unregistered',
      ),
    );
    expect(await streamTypes(memory, 'user-ann')).toEqual(['DeviceEnlisted', 'DeviceRevoked']);
  });
});
