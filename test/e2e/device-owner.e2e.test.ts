import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { allEvents } from './standin-env.js';
import { isProductionStack } from './stack.js';

// One push device (the same native token: the same device id) enlisted by two users belongs to
// the latest of them (domain/delivery/moves.ts): an app that switches account without a logout
// must not go on showing the previous account's pushes. Found by a probe: alice then bob enlisted
// the same APNs token, both kept it, and alice's private message was pushed to the phone bob
// now held. On the embedded defaults every channel is the outbox, so the pushes are its entries.
// Also in the reactors' two worker threads: the revocation is then triage's thread's append.
const ENV = { MSGXC_TRIAGE_TIME_SCALE: '0.002', MSGXC_SCHEDULER_POLL_MS: '50', MSGXC_LOG_LEVEL: 'warn' };
const IOS = { os: 'ios', token: 'ad62ea6ea23d6974871cf59a06cbdb2783b85adbafe3355c0007362249d3e75c' } as const;
const THREAD_SETTING: Readonly<Record<string, string>> = { 'main thread': 'false', 'two worker threads': 'split' };
const MODES = isProductionStack() ? ['main thread'] : Object.keys(THREAD_SETTING);

interface Entry {
  readonly channel: string;
  readonly mid: string;
}

describe.each(MODES)('a device belongs to the latest user to enlist it (reactors on the %s)', (mode) => {
  const dataDir = tempDir();
  // Users of their own per mode (a user id has no spaces).
  const alice = `alice-${THREAD_SETTING[mode] ?? 'false'}`;
  const bob = `bob-${THREAD_SETTING[mode] ?? 'false'}`;
  const env = { ...ENV, MSGXC_REACTORS_THREAD: THREAD_SETTING[mode] ?? 'false' };
  let s: Server;
  let admin: string;
  const tokens = new Map<string, string>();
  const as = async (uid: string): Promise<string> => {
    const kept = tokens.get(uid);
    if (kept !== undefined) return kept;
    const t = await token(uid);
    tokens.set(uid, t);
    return t;
  };
  beforeAll(async () => {
    s = await startServer({ dataDir, env });
    admin = await token('root', ['admin']);
  });
  afterAll(async () => {
    await s.stop();
    removeDir(dataDir);
  });

  const until = async <T>(get: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 15_000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await get();
      if (ok(v)) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const enlist = async (uid: string): Promise<void> => {
    const r = await call(s, 'POST', '/api/v2/enlist', { token: await as(uid), body: IOS });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toBe(true);
  };
  const devices = async (uid: string): Promise<string[]> => {
    const r = await call(s, 'GET', '/api/v2/devices', { token: await as(uid) });
    expect(r.status, r.text).toBe(200);
    return (r.body as { devices: { deviceId: string }[] }).devices.map((d) => d.deviceId);
  };
  const send = async (uid: string, msg: string): Promise<string> => {
    const r = await call(s, 'POST', '/api/v2/send', { token: admin, body: { uid, msg } });
    expect(r.status, r.text).toBe(200);
    return r.headers.get('x-message-id') ?? '';
  };
  const pushes = async (mid: string): Promise<Entry[]> => {
    const r = await call(s, 'GET', `/api/v2/outbox?mid=${mid}&channel=apns&limit=200`, { token: admin });
    expect(r.status, r.text).toBe(200);
    return (r.body as { entries: Entry[] }).entries;
  };
  const revocations = async (): Promise<{ uid: string; reason: string }[]> =>
    (await allEvents(s, admin, ['DeviceRevoked'])).map((e) => ({
      uid: String(e.data['uid']),
      reason: String(e.data['reason']),
    }));
  // A message to `uid` after which the reactors have folded everything before it: its push (or
  // none, when the user has no device) is decided once triage reached it.
  const pushedTo = async (uid: string, msg: string): Promise<Entry[]> => {
    const mid = await send(uid, msg);
    return until(
      () => pushes(mid),
      (e) => e.length > 0,
      `the push of ${mid}`,
    );
  };

  let deviceId = '';

  it('alice, then bob, enlist the same token: bob holds it, alice no longer does, and her push never reaches it', async () => {
    await enlist(alice);
    [deviceId = ''] = await devices(alice);
    expect(deviceId).not.toBe('');
    await enlist(bob);
    expect(await devices(bob)).toEqual([deviceId]);
    await until(
      () => devices(alice),
      (d) => d.length === 0,
      "alice's device to be revoked",
    );
    expect(await revocations()).toEqual([{ uid: alice, reason: 'moved: enlisted by another user' }]);

    const secret = await send(alice, 'for alice only');
    // Bob's own message is pushed to him (sent after alice's: by then hers was decided too).
    const bobs = await pushedTo(bob, 'for bob');
    expect(bobs).toHaveLength(1);
    expect(await pushes(secret)).toEqual([]);
  });

  it('bob enlisting it again revokes nothing; alice enlisting it again takes it back', async () => {
    await enlist(bob);
    expect(await devices(bob)).toEqual([deviceId]);
    await enlist(alice);
    expect(await devices(alice)).toEqual([deviceId]);
    await until(
      () => devices(bob),
      (d) => d.length === 0,
      "bob's device to be revoked",
    );
    const bobs = await send(bob, 'for bob, now logged out of that phone');
    expect(await pushedTo(alice, 'alice again')).toHaveLength(1);
    expect(await pushes(bobs)).toEqual([]);
    expect(await revocations()).toEqual([
      { uid: alice, reason: 'moved: enlisted by another user' },
      { uid: bob, reason: 'moved: enlisted by another user' },
    ]);
  });

  it("rebuilding delivery's state from the log revokes nothing again and keeps alice the holder", async () => {
    await s.stop();
    for (const f of ['reactors.db', 'reactors.db-wal', 'reactors.db-shm']) rmSync(join(dataDir, f), { force: true });
    s = await startServer({ dataDir, env });
    expect(await pushedTo(alice, 'after the rebuild')).toHaveLength(1);
    const bobs = await send(bob, 'bob after the rebuild');
    await pushedTo(alice, 'and after that');
    expect(await pushes(bobs)).toEqual([]);
    expect(await revocations()).toHaveLength(2);
    expect(await devices(alice)).toEqual([deviceId]);
    expect(await devices(bob)).toEqual([]);
  });
});
