import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteDeliveryState } from '../../../adapters/delivery-state/sqlite.js';
import { decideMoves, takenFrom } from '../../../domain/delivery/moves.js';
import { DEVICE_MOVED } from '../../../domain/user.js';
import type { DeliveryStateStore } from '../../../ports/delivery-state.js';
import type { DirectoryChange } from '../../../schema/delivery-state.js';

// A device (one token: one device id) belongs to one user at a time, the latest to enlist it
// (domain/delivery/moves.ts): the rules, and the directory that keeps them (the holder, and the
// enlistments taken from earlier holders waiting for their revocation).

describe('which enlistments a device is taken from', () => {
  it('Given alice holds the device, When bob enlists it, Then it is taken from alice', () => {
    expect(takenFrom('bob', ['alice'])).toEqual(['alice']);
  });
  it('Given alice holds the device, When alice enlists it again, Then it is taken from nobody', () => {
    expect(takenFrom('alice', ['alice', 'alice'])).toEqual([]);
  });
  it('Given nobody holds it, When bob enlists it, Then it is taken from nobody', () => {
    expect(takenFrom('bob', [])).toEqual([]);
  });
  it('Given alice holds it and carol waits for her revocation, When bob enlists it, Then it is taken from both, once each', () => {
    expect(takenFrom('bob', ['alice', 'carol', 'alice', 'bob'])).toEqual(['alice', 'carol']);
  });
});

describe('settling the moves of a device', () => {
  it('When alice enlistment (revision 4) was taken, Then that enlistment only is revoked, as moved', () => {
    expect(decideMoves([{ uid: 'alice', deviceId: 'd1', revision: 4 }])).toEqual([
      { kind: 'revoke', uid: 'alice', deviceId: 'd1', reason: DEVICE_MOVED, enlisted: 4 },
    ]);
  });
  it('When nothing waits, Then nothing is revoked', () => {
    expect(decideMoves([])).toEqual([]);
  });
});

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const open = (): DeliveryStateStore => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-moves-'));
  dirs.push(dir);
  return openSqliteDeliveryState(join(dir, 'reactors.db'));
};
const D = 'd1';
const enlisted = (uid: string, position: number, revision: number): DirectoryChange => ({
  type: 'device-enlisted',
  uid,
  deviceId: D,
  device: { os: 'ios', token: 'ad62' },
  position,
  revision,
});
const revoked = (uid: string, position: number): DirectoryChange => ({
  type: 'device-revoked',
  uid,
  deviceId: D,
  position,
});
/** Who delivery would reach at the device, and which enlistments wait for their revocation. */
const seen = async (state: DeliveryStateStore) => {
  const reach = await state.directory.devicesOf(['alice', 'bob']);
  const profiles = await state.directory.profiles(['alice', 'bob']);
  const one = await state.directory.device('alice', D);
  return {
    reaches: ['alice', 'bob'].filter((u) => reach.get(u)?.has(D) === true),
    planned: ['alice', 'bob'].filter((u) => profiles.get(u)?.devices.some((d) => d.deviceId === D) === true),
    aliceDevice: one !== undefined,
    holders: [...(await state.directory.holders(D))].sort(),
    moves: await state.directory.moves(D),
  };
};

describe('the directory keeps one holder per device', () => {
  it('alice then bob: only bob is reached at once; alice waits as a move until her revocation is folded', async () => {
    const state = open();
    await state.commit({ directory: [enlisted('alice', 10, 0), enlisted('bob', 20, 0)] });
    expect(await seen(state)).toEqual({
      reaches: ['bob'],
      planned: ['bob'],
      aliceDevice: false,
      holders: ['alice', 'bob'],
      moves: [{ uid: 'alice', deviceId: D, revision: 0 }],
    });
    await state.commit({ directory: [revoked('alice', 30)] });
    expect((await seen(state)).moves).toEqual([]);
    expect((await seen(state)).holders).toEqual(['bob']);
    await state.close();
  });

  it('alice takes it back before her revocation: her move is void and bob waits instead', async () => {
    const state = open();
    await state.commit({ directory: [enlisted('alice', 10, 0), enlisted('bob', 20, 0), enlisted('alice', 30, 1)] });
    expect(await seen(state)).toMatchObject({
      reaches: ['alice'],
      moves: [{ uid: 'bob', deviceId: D, revision: 0 }],
    });
    await state.close();
  });

  it('the same user enlisting it twice moves nothing', async () => {
    const state = open();
    await state.commit({ directory: [enlisted('alice', 10, 0), enlisted('alice', 20, 3)] });
    expect(await seen(state)).toEqual({
      reaches: ['alice'],
      planned: ['alice'],
      aliceDevice: true,
      holders: ['alice'],
      moves: [],
    });
    await state.close();
  });

  it('applying the changes again (or an older enlistment late) changes nothing', async () => {
    const state = open();
    const changes = [enlisted('alice', 10, 0), enlisted('bob', 20, 0), enlisted('alice', 30, 1)];
    await state.commit({ directory: changes });
    const once = await seen(state);
    await state.commit({ directory: changes });
    await state.commit({ directory: [enlisted('bob', 20, 0)] });
    expect(await seen(state)).toEqual(once);
    await state.close();
  });

  it("an erasure takes the user's waiting moves too", async () => {
    const state = open();
    await state.commit({ directory: [enlisted('alice', 10, 0), enlisted('bob', 20, 0)] });
    await state.commit({ directory: [{ type: 'user-erased', uid: 'alice', position: 25 }] });
    expect((await seen(state)).moves).toEqual([]);
    await state.close();
  });
});
