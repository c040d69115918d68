import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, SECRET, startServer, token, type Server } from './harness.js';
import { stackEnv } from './stack.js';

// GDPR erasure by crypto-shredding on a real server process (docs/gdpr.md), on whichever stack
// the project runs: personal data is sealed in the log; the export shows it; an admin's erase
// destroys the user's keys and records UserErased; afterwards (and after a rebuild of every
// projection from the log) the profile, devices, inbox, message and search show nothing
// readable, nothing was quarantined, and `msgxc audit verify` still passes.
const BIN = resolve(import.meta.dirname, '../../dist/bin/msgxc.js');
const EMAIL = 'dora.secret@example.com';
const CELL = '+4915112345678';
const TOKEN = 'dora-device-token-0123456789abcdef';
const WORD = 'zebraquartz';
const TEXT = `private note for dora ${WORD}`;
const PUSH = {
  endpoint: 'https://fcm.googleapis.com/fcm/send/dora-endpoint-secret',
  keys: {
    p256dh: 'BN81HfHxzt4V4lXDV_2ia8Rl_QvqofvoNI7_MOHCiOMEYuFXFNDBOJzKCCj2nzK5luwnH6rvBCN2jx7lNHpraaw',
    auth: 'doraauth0123',
  },
};
const ZONE = 'Pacific/Chatham';
const QUIET = { from: '21:45', to: '06:15' };
// Not a secret of dora's alone: the admin's segment (SegmentDefined, plain in the log) names it.
const TAG = 'gdpr-dora-tag';
const SECRETS = [EMAIL, CELL, TOKEN, WORD, PUSH.endpoint, PUSH.keys.auth, 'Dora Erased', ZONE];

interface Stats {
  head: number;
  projections: { position: number }[];
  rebuild: { running: boolean; finishedAt?: string };
}

describe('GDPR erasure and export on a real server process', () => {
  let s: Server;
  let admin: string;
  let dora: string;
  let bob: string;
  let analyst: string;
  let auditor: string;
  let mid = '';
  let threadMid = '';
  let segment = '';
  const stats = async (): Promise<Stats> =>
    (await call(s, 'GET', '/api/v2/admin/stats', { token: admin })).body as Stats;
  // Every projection (read models and search) has applied the log up to `position`.
  const caughtUp = async (position: number): Promise<void> => {
    for (const deadline = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 50))) {
      const st = await stats();
      if (st.projections.every((p) => p.position >= position)) return;
      if (Date.now() > deadline)
        throw new Error(`projections never reached ${String(position)}: ${JSON.stringify(st)}`);
    }
  };
  // Elasticsearch shows a write after its index refresh (about a second), not when the
  // projection's checkpoint moves: reads through the search index are retried until they agree.
  const eventually = async (check: () => Promise<void>, ms = 15_000): Promise<void> => {
    for (const deadline = Date.now() + ms; ; await new Promise((r) => setTimeout(r, 100))) {
      try {
        await check();
        return;
      } catch (e) {
        if (Date.now() > deadline) throw e;
      }
    }
  };
  // A rebuild of every projection from the log, finished and caught up to `position`.
  const rebuilt = async (position: number): Promise<void> => {
    const finished = (await stats()).rebuild.finishedAt;
    expect((await call(s, 'POST', '/api/v2/admin/rebuild', { token: admin })).status).toBe(202);
    for (const deadline = Date.now() + 60_000; ; await new Promise((r) => setTimeout(r, 50))) {
      const st = await stats();
      if (!st.rebuild.running && st.rebuild.finishedAt !== undefined && st.rebuild.finishedAt !== finished) break;
      if (Date.now() > deadline) throw new Error(`the rebuild did not finish: ${JSON.stringify(st)}`);
    }
    await caughtUp(position);
  };
  const leaks = (value: unknown): string[] => {
    const text = JSON.stringify(value);
    return SECRETS.filter((x) => text.includes(x));
  };
  const verify = (): Promise<{ status: number | null; stdout: string }> =>
    new Promise((done, failed) => {
      const child = spawn(process.execPath, [BIN, 'audit', 'verify'], {
        env: {
          PATH: process.env['PATH'] ?? '',
          MSGXC_JWT_SECRET: SECRET,
          MSGXC_DATA_DIR: s.dataDir,
          ...stackEnv(s.dataDir),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
      child.stderr.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
      child.on('error', failed);
      child.on('close', (status) => {
        done({ status, stdout });
      });
    });
  // What dora's data looks like through every read the broker offers.
  const views = async (): Promise<Record<string, unknown>> => {
    const get = async (path: string, as: string): Promise<unknown> => {
      const r = await call(s, 'GET', path, { token: as });
      expect(r.status, `${path}: ${r.text}`).toBe(200);
      return r.body;
    };
    return {
      profile: await get('/api/v2/users/dora/profile', admin),
      devices: await get('/api/v2/users/dora/devices', admin),
      inbox: await get('/api/v2/inbox?limit=200', dora),
      message: await get(`/api/v2/messages/${mid}`, admin),
      search: await get(`/api/v2/analytics/messages?text=${WORD}`, analyst),
      // The user directory (search store): a segment of dora's tag.
      segment: await get(`/api/v2/segments/${segment}/count`, admin),
    };
  };

  beforeAll(async () => {
    s = await startServer({ env: { MSGXC_REACTORS: 'false' } });
    admin = await token('root', ['admin']);
    dora = await token('dora');
    bob = await token('bob');
    analyst = await token('ann', ['analyst']);
    auditor = await token('carol', ['auditor']);
    const ok = async (path: string, as: string, body: unknown): Promise<string> => {
      const r = await call(s, 'POST', path, { token: as, body });
      expect(r.status, `${path}: ${r.text}`).toBeLessThan(300);
      return r.headers.get('x-message-id') ?? '';
    };
    await ok('/api/v2/profile', dora, {
      email: EMAIL,
      cell: CELL,
      attributes: { real_name: 'Dora Erased', tags: [TAG] },
      timezone: ZONE,
      quietHours: QUIET,
    });
    const seg = await call(s, 'POST', '/api/v2/segments', {
      token: admin,
      body: { name: 'dora', query: { tag: TAG } },
    });
    expect(seg.status, seg.text).toBe(200);
    segment = (seg.body as { id: string }).id;
    await ok('/api/v2/enlist', dora, { os: 'android', token: TOKEN });
    await ok('/api/v2/enlist', dora, PUSH);
    mid = await ok('/api/v2/send', admin, { uid: 'dora', msg: TEXT });
    await ok('/api/v2/threads', bob, { tid: 'gdpr-club', opens: true });
    await ok('/api/v2/subscribe', dora, { tid: 'gdpr-club' });
    threadMid = await ok('/api/v2/publish', bob, { tid: 'gdpr-club', msg: 'hello club' });
    expect([mid, threadMid]).not.toContain('');
    await caughtUp((await stats()).head);
  });
  afterAll(async () => {
    await s.stop();
    removeDir(s.dataDir);
  });

  it('keeps personal fields sealed in the log itself: the auditor sees envelopes, not the data', async () => {
    const r = await call(s, 'GET', '/api/v2/events?limit=1000', { token: auditor });
    expect(r.status).toBe(200);
    expect(leaks(r.body)).toEqual([]);
    const user = (await call(s, 'GET', '/api/v2/streams/user-dora', { token: auditor })).body as {
      events: { type: string; data: Record<string, unknown> }[];
    };
    const contact = user.events.find((e) => e.type === 'ContactPointsChanged');
    const sealedEmail = contact?.data['email'] as Record<string, unknown> | undefined;
    expect(sealedEmail?.['enc']).toBe('v1');
    expect(typeof sealedEmail?.['kid']).toBe('string');
    expect(typeof sealedEmail?.['ct']).toBe('string');
    // A thread's message is not one person's: it stays plain.
    expect(JSON.stringify((await call(s, 'GET', '/api/v2/events?limit=1000', { token: auditor })).body)).toContain(
      'hello club',
    );
  });

  it('shows the data before the erasure, and exports it to the user themself or an admin only', async () => {
    const before = await views();
    expect(leaks(before.profile)).toEqual(expect.arrayContaining([EMAIL, CELL, 'Dora Erased', ZONE]));
    expect(before.profile).toMatchObject({ timezone: ZONE, quietHours: QUIET });
    expect((before.devices as { devices: unknown[] }).devices).toHaveLength(2);
    expect(leaks(before.inbox)).toContain(WORD);
    await eventually(async () => {
      const v = await views();
      expect((v.search as { total: number }).total).toBe(1);
      expect((v.segment as { count: number }).count).toBe(1);
    });
    const exported = await call(s, 'GET', '/api/v2/users/dora/export', { token: dora });
    expect(exported.status, exported.text).toBe(200);
    expect(leaks(exported.body).sort()).toEqual([...SECRETS].sort());
    expect((exported.body as { profile: unknown }).profile).toMatchObject({ timezone: ZONE, quietHours: QUIET });
    expect((await call(s, 'GET', '/api/v2/users/dora/export', { token: admin })).status).toBe(200);
    expect((await call(s, 'GET', '/api/v2/users/dora/export', { token: bob })).status).toBe(403);
    expect((await call(s, 'GET', '/api/v2/users/nobody-here/export', { token: admin })).status).toBe(404);
    expect((await call(s, 'GET', '/api/v2/users/dora/export')).status).toBe(401);
  });

  it('lets only admins erase, and only known users', async () => {
    for (const as of [dora, bob, analyst, auditor])
      expect((await call(s, 'POST', '/api/v2/users/dora/erase', { token: as })).status).toBe(403);
    expect((await call(s, 'POST', '/api/v2/users/dora/erase')).status).toBe(401);
    expect((await call(s, 'POST', '/api/v2/users/nobody-here/erase', { token: admin })).status).toBe(404);
    const bad = await call(s, 'POST', '/api/v2/users/bad%20id/erase', { token: admin });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('uid');
    // Still readable: nothing was destroyed by the refusals.
    expect(leaks((await views()).profile)).toContain(EMAIL);
  });

  it('erases: nothing readable in any view, before and after a rebuild; nothing quarantined; the chain verifies', async () => {
    const erased = await call(s, 'POST', '/api/v2/users/dora/erase', { token: admin });
    expect(erased.status, erased.text).toBe(200);
    expect(erased.body).toMatchObject({ uid: 'dora', erased: true, keysDestroyed: 1 });
    const position = (erased.body as { position: number }).position;
    await caughtUp(position);
    const check = async (): Promise<void> => {
      const after = await views();
      expect(Object.entries(after).filter(([, v]) => leaks(v).length > 0)).toEqual([]);
      expect(after.profile).toMatchObject({
        email: null,
        cell: null,
        attributes: {},
        devices: [],
        timezone: null,
        quietHours: null,
      });
      expect((after.segment as { count: number }).count).toBe(0);
      expect((after.devices as { devices: unknown[] }).devices).toEqual([]);
      expect(after.message).toMatchObject({ mid, msg: '[erased]' });
      expect((after.search as { total: number }).total).toBe(0);
      const inbox = (after.inbox as { messages: { mid: string; msg: string }[] }).messages;
      // The message keeps its place in the inbox, not its content; the thread's message is untouched.
      expect(inbox.find((m) => m.mid === mid)?.msg).toBe('[erased]');
      expect(inbox.find((m) => m.mid === threadMid)?.msg).toBe('hello club');
      const exported = await call(s, 'GET', '/api/v2/users/dora/export', { token: admin });
      expect(exported.status).toBe(200);
      expect(leaks(exported.body)).toEqual([]);
      const dead = (await call(s, 'GET', '/api/v2/admin/dead-letters', { token: admin })).body as {
        deadLetters: unknown[];
      };
      expect(dead.deadLetters).toEqual([]);
    };
    await eventually(check);

    await rebuilt(position);
    await eventually(check);

    const verified = await verify();
    expect(verified.status, verified.stdout).toBe(0);
    expect(verified.stdout).toContain('OK: every link and checkpoint matches');
  });

  it('erasing again is answered (nothing left to destroy), and the user can start afresh, also after a rebuild', async () => {
    const again = await call(s, 'POST', '/api/v2/users/dora/erase', { token: admin });
    expect(again.status, again.text).toBe(200);
    expect(again.body).toMatchObject({ keysDestroyed: 0 });
    const fresh = await call(s, 'POST', '/api/v2/profile', { token: dora, body: { email: 'dora.new@example.com' } });
    expect(fresh.status, fresh.text).toBe(200);
    const profile = await call(s, 'GET', '/api/v2/users/dora/profile', { token: dora });
    expect(profile.body).toMatchObject({ email: 'dora.new@example.com', cell: null });
    // Every view opens the new data: the read models' followers too (their own key caches).
    const device = { os: 'android', token: 'dora-new-device-token-42' };
    expect((await call(s, 'POST', '/api/v2/enlist', { token: dora, body: device })).status).toBeLessThan(300);
    const newMid = (
      await call(s, 'POST', '/api/v2/send', { token: admin, body: { uid: 'dora', msg: 'welcome back' } })
    ).headers.get('x-message-id');
    const head = (await stats()).head;
    await caughtUp(head);
    const readable = async (): Promise<void> => {
      const devices = (await call(s, 'GET', '/api/v2/users/dora/devices', { token: dora })).body as {
        devices: { device: unknown }[];
      };
      expect(devices.devices.map((d) => d.device)).toEqual([device]);
      const inbox = (await call(s, 'GET', '/api/v2/inbox', { token: dora })).body as {
        messages: { mid: string; msg: string }[];
      };
      expect(inbox.messages.find((m) => m.mid === newMid)?.msg).toBe('welcome back');
    };
    await readable();
    // A rebuild replays UserErased after the new key was cached: what came after still opens.
    await rebuilt(head);
    await readable();
  });
});
