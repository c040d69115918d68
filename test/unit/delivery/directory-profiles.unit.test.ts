import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteDeliveryState } from '../../../adapters/delivery-state/sqlite.js';
import { LIMITS } from '../../../schema/bounds.js';
import { directoryChanges } from '../../../domain/delivery/directory.js';
import type { DirectoryChange } from '../../../schema/delivery-state.js';
import type { UserId } from '../../../schema/ids.js';
import { ev } from '../projections/fixtures.js';

// Triage reads a page of recipients' profiles at once (one query per table for the page):
// the answer must be the one the per-user read gives, for every kind of user.
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the directory read for a page of recipients', () => {
  it('answers each user as the one-user read does (devices newest first and capped, contacts, preferences)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'msgxc-profiles-'));
    dirs.push(dir);
    const state = openSqliteDeliveryState(join(dir, 'reactors.db'));
    const uids = Array.from({ length: 30 }, (_, i) => `u${String(i).padStart(2, '0')}`);
    const changes: DirectoryChange[] = [];
    let position = 0;
    uids.forEach((uid, i) => {
      changes.push({ type: 'user-known', uid, position: ++position });
      if (i % 2 === 0)
        changes.push({ type: 'contact', uid, email: `${uid}@example.org`, cell: i % 4 === 0 ? '+15550100' : null });
      if (i % 3 === 0) changes.push({ type: 'channels', uid, channels: ['~email', 'fcm'] });
      if (i % 5 === 0) changes.push({ type: 'thread-channels', uid, tid: 't1', channels: ['webpush'] });
      // Time zone and quiet hours (local-time schedules and quiet hours read them for every page).
      if (i % 4 === 1)
        changes.push({
          type: 'time-preferences',
          uid,
          timezone: 'Asia/Tokyo',
          quietHours: { from: '22:00', to: '07:00' },
        });
      if (i % 6 === 2) changes.push({ type: 'time-preferences', uid, timezone: 'Europe/Paris', quietHours: null });
      // Some users have more devices than a plan may use: the newest ones count.
      for (let d = 0; d < (i % 7 === 0 ? LIMITS.devices + 2 : i % 3); d++)
        changes.push({
          type: 'device-enlisted',
          revision: 0,
          uid,
          deviceId: `${uid}-d${d}`,
          device: { os: 'android', token: `tok-${uid}-${d}` },
          position: ++position,
        });
    });
    await state.commit({ directory: changes });
    // Unknown users are answered too (an empty profile), in the order asked.
    const asked = [...uids, 'nobody'].reverse();
    for (const tid of [undefined, 't1']) {
      const page = await state.directory.profiles(asked, tid);
      expect([...page.keys()]).toEqual(asked);
      for (const uid of asked) expect(page.get(uid)).toEqual((await state.directory.profiles([uid], tid)).get(uid));
      expect(page.get('u00')?.devices).toHaveLength(LIMITS.devices);
      expect(page.get('u00')?.threadChannels).toEqual(tid === undefined ? undefined : ['webpush']);
      expect(page.get('u01')).toMatchObject({ timezone: 'Asia/Tokyo', quietHours: { from: '22:00', to: '07:00' } });
      expect(page.get('u02')).toMatchObject({ timezone: 'Europe/Paris' });
      expect(page.get('u02')?.quietHours).toBeUndefined();
    }
    // A dispatch job's opt-outs and contact points, for a page and for one user: the profile's, without devices and times.
    for (const tid of [undefined, 't1']) {
      const contacts = await state.directory.contacts(asked, tid);
      expect([...contacts.keys()]).toEqual(asked);
      for (const uid of asked) {
        const p = (await state.directory.profiles([uid], tid)).get(uid);
        const contact = {
          email: p?.email,
          cell: p?.cell,
          channels: p?.channels,
          ...(p?.threadChannels === undefined ? {} : { threadChannels: p.threadChannels }),
        };
        expect(contacts.get(uid)).toStrictEqual(contact);
        expect((await state.directory.contacts([uid], tid)).get(uid)).toStrictEqual(contact);
      }
    }
    // A dispatch job's devices in one read: every device of each user asked, as the one-device read has it.
    const devices = await state.directory.devicesOf(asked);
    expect([...devices.keys()].sort()).toEqual([...asked].sort());
    expect(devices.get('nobody')?.size).toBe(0);
    expect(devices.get('u00')?.size).toBe(LIMITS.devices + 2);
    for (const uid of asked)
      for (const d of Array.from({ length: LIMITS.devices + 3 }, (_, n) => `${uid}-d${n}`))
        expect(devices.get(uid)?.get(d)).toEqual(await state.directory.device(uid, d));
    await state.close();
  });

  it('pages a broadcast in one pass: known users before a position, by uid, each with the profile the page read gives', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'msgxc-profiles-'));
    dirs.push(dir);
    const state = openSqliteDeliveryState(join(dir, 'reactors.db'));
    const uids = Array.from({ length: 40 }, (_, i) => `u${String(i).padStart(2, '0')}`);
    const changes: DirectoryChange[] = [];
    let position = 0;
    uids.forEach((uid, i) => {
      // Every fifth user has a profile but was never known; the last ones become known late.
      if (i % 5 !== 3) changes.push({ type: 'user-known', uid, position: i >= 36 ? 1000 + i : ++position });
      if (i % 2 === 0) changes.push({ type: 'contact', uid, email: `${uid}@example.org`, cell: null });
      if (i % 3 === 0) changes.push({ type: 'channels', uid, channels: ['~email', 'fcm'] });
      if (i % 4 === 1)
        changes.push({
          type: 'time-preferences',
          uid,
          timezone: 'Asia/Tokyo',
          quietHours: { from: '22:00', to: '07:00' },
        });
      if (i % 6 === 2) changes.push({ type: 'time-preferences', uid, timezone: 'Europe/Paris', quietHours: null });
      for (let d = 0; d < (i % 7 === 0 ? LIMITS.devices + 2 : i % 3); d++)
        changes.push({
          type: 'device-enlisted',
          revision: 0,
          uid,
          deviceId: `${uid}-d${d}`,
          device: { os: 'android', token: `tok-${uid}-${d}` },
          position: ++position,
        });
    });
    await state.commit({ directory: changes });
    for (const [after, limit] of [
      ['', 7],
      ['u02', 5],
      ['u13', 100],
      ['u39', 3],
    ] as const) {
      const page = await state.directory.knownProfiles(500, after, limit);
      const known = await state.directory.known(500, after, limit);
      expect([...page.keys()]).toEqual(known);
      const profiles = await state.directory.profiles(known);
      for (const uid of known) expect(page.get(uid)).toStrictEqual(profiles.get(uid));
    }
    expect([...(await state.directory.knownProfiles(500, '', 100)).keys()]).toHaveLength(29);
    expect((await state.directory.knownProfiles(500, 'u00', 1)).get('u01')).toMatchObject({
      timezone: 'Asia/Tokyo',
      quietHours: { from: '22:00', to: '07:00' },
    });
    await state.close();
  });

  it('forgets an erased user: devices, contact points, time zone and quiet hours (docs/gdpr.md); others keep theirs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'msgxc-profiles-'));
    dirs.push(dir);
    const state = openSqliteDeliveryState(join(dir, 'reactors.db'));
    const profileOf = (uid: string, n: number): DirectoryChange[] => [
      { type: 'user-known', uid, position: n },
      { type: 'contact', uid, email: `${uid}@example.org`, cell: '+15550100' },
      { type: 'time-preferences', uid, timezone: 'Asia/Tokyo', quietHours: { from: '22:00', to: '07:00' } },
      {
        type: 'device-enlisted',
        revision: 0,
        uid,
        deviceId: `${uid}-d`,
        device: { os: 'android', token: `tok-${uid}` },
        position: n,
      },
    ];
    const direct = (mid: string, uid: string): readonly DirectoryChange[] =>
      directoryChanges(ev.published(mid, { kind: 'user', uid: uid as UserId }, { msg: `for ${uid}` }), {
        position: 2,
        stream: `message-${mid}`,
        revision: 0,
        eventId: mid,
        correlationId: mid,
      }).directory;
    await state.commit({
      directory: [...profileOf('eve', 1), ...profileOf('bob', 2), ...direct('m-eve', 'eve'), ...direct('m-bob', 'bob')],
    });
    const before = (await state.directory.profiles(['eve'])).get('eve');
    expect(before).toMatchObject({ email: 'eve@example.org', timezone: 'Asia/Tokyo', quietHours: { from: '22:00' } });
    await state.commit({ directory: [{ type: 'user-erased', uid: 'eve', position: 3 }] });
    const page = await state.directory.profiles(['eve', 'bob']);
    expect(page.get('eve')).toMatchObject({ email: null, cell: null, devices: [] });
    expect(page.get('eve')).not.toHaveProperty('timezone');
    expect(page.get('eve')).not.toHaveProperty('quietHours');
    expect(page.get('bob')).toMatchObject({ email: 'bob@example.org', timezone: 'Asia/Tokyo' });
    expect(page.get('bob')?.devices).toHaveLength(1);
    expect((await state.directory.message('m-eve'))?.data).toMatchObject({ msg: '[erased]', opts: {} });
    expect((await state.directory.message('m-bob'))?.data.msg).toBe('for bob');
    await state.close();
  });
});

describe('a user known again', () => {
  it('keeps the earliest position it was known at, and a profile-only user becomes known', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'msgxc-known-'));
    dirs.push(dir);
    const state = openSqliteDeliveryState(join(dir, 'reactors.db'));
    const knownBefore = async (position: number): Promise<readonly string[]> => state.directory.known(position, '', 10);
    await state.commit({ directory: [{ type: 'user-known', uid: 'bob', position: 10 }] });
    await state.commit({ directory: [{ type: 'user-known', uid: 'bob', position: 20 }] });
    expect(await knownBefore(11)).toEqual(['bob']);
    await state.commit({ directory: [{ type: 'user-known', uid: 'bob', position: 5 }] });
    expect(await knownBefore(6)).toEqual(['bob']);
    // A profile first (no position), known later.
    await state.commit({ directory: [{ type: 'contact', uid: 'carol', email: 'carol@example.org' }] });
    expect(await knownBefore(100)).toEqual(['bob']);
    await state.commit({ directory: [{ type: 'user-known', uid: 'carol', position: 30 }] });
    expect(await knownBefore(31)).toEqual(['bob', 'carol']);
    expect(await knownBefore(30)).toEqual(['bob']);
    expect((await state.directory.profiles(['carol'])).get('carol')?.email).toBe('carol@example.org');
    await state.close();
  });
});
