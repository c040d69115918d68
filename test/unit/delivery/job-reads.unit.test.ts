import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteDeliveryState } from '../../../adapters/delivery-state/sqlite.js';
import { directoryChanges } from '../../../domain/delivery/directory.js';
import { jobReads } from '../../../delivery/job-reads.js';
import type { DirectoryChange, UnitState } from '../../../schema/delivery-state.js';
import type { Audience } from '../../../schema/message.js';
import type { ThreadId, UserId } from '../../../schema/ids.js';
import { ev } from '../projections/fixtures.js';
import { KEY, triaged, unit } from './fixtures.js';

// A dispatch job reads its units' facts once (delivery/job-reads.ts) and answers each step from
// what it read: every answer must be the store's own, for the job's units and for questions the
// job did not read ahead (another thread, another collapse key, a user not in the job), which
// go to the store. Messages in a thread and not, engagement by receipt and by a thread's or the
// inbox's read marker, collapse keys, push devices, contact points read only with a thread.
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const uids = Array.from({ length: 12 }, (_, i) => `u${String(i).padStart(2, '0')}`);
const IN_THREAD = '01900000-0000-7000-8000-000000000010';
const DIRECT = '01900000-0000-7000-8000-000000000011';
const NEWER = '01900000-0000-7000-8000-000000000012';

const published = (mid: string, audience: Audience, position: number): readonly DirectoryChange[] =>
  directoryChanges(ev.published(mid, audience), {
    position,
    stream: `message-${mid}`,
    revision: 0,
    eventId: mid,
    correlationId: mid,
  }).directory;

describe("a dispatch job's reads", () => {
  it("answer each step's facts, contacts, devices, engagement and collapse as the store does", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'msgxc-job-reads-'));
    dirs.push(dir);
    const state = openSqliteDeliveryState(join(dir, 'reactors.db'));
    const changes: DirectoryChange[] = [];
    uids.forEach((uid, i) => {
      changes.push({ type: 'user-known', uid, position: i + 1 });
      if (i % 2 === 0) changes.push({ type: 'contact', uid, email: `${uid}@example.org`, cell: '+15550100' });
      if (i % 3 === 0) changes.push({ type: 'channels', uid, channels: ['~email'] });
      if (i % 4 === 1) changes.push({ type: 'thread-channels', uid, tid: 't1', channels: ['webpush'] });
      if (i % 3 !== 2)
        changes.push({
          type: 'device-enlisted',
          revision: 0,
          uid,
          deviceId: `${uid}-d`,
          device: { os: 'android', token: `tok-${uid}` },
          position: 100 + i,
        });
    });
    changes.push(
      ...published(IN_THREAD, { kind: 'thread', tid: 't1' as ThreadId }, 200),
      ...published(DIRECT, { kind: 'users', uids: uids as UserId[] }, 201),
      ...published(NEWER, { kind: 'users', uids: uids as UserId[] }, 202),
    );
    await state.commit({
      directory: changes,
      deliveries: [
        { type: 'engaged', uid: 'u01', mid: DIRECT, seen: true, read: false },
        { type: 'engaged', uid: 'u02', mid: IN_THREAD, seen: true, read: true },
        // Read in the thread: engaged with the thread's message when asked with the thread only.
        { type: 'read-marker', uid: 'u05', scope: 't1', mid: NEWER },
        { type: 'read-marker', uid: 'u06', scope: '', mid: IN_THREAD },
        { type: 'collapse', uid: 'u03', ckey: 'k', due: 1, mid: IN_THREAD },
        { type: 'collapse', uid: 'u03', ckey: 'k', due: 2, mid: NEWER },
        { type: 'collapse', uid: 'u04', ckey: 'k', due: 1, mid: DIRECT },
        { type: 'collapse', uid: 'u07', ckey: 'j', due: 3, mid: NEWER },
        { type: 'cancelled', mid: DIRECT },
      ],
    });

    // The job: the first half of the users in the thread's message (push), the rest by email of
    // the direct one, some with a collapse key; u00 in both.
    const base = unit([triaged()]);
    const step = (uid: string, mid: string, channel: 'fcm' | 'email', collapse: string | null): UnitState => ({
      ...base,
      key: `${mid}/${uid}/${channel}`,
      uid,
      mid,
      channel,
      deviceId: channel === 'fcm' ? `${uid}-d` : null,
      collapse,
    });
    const units = [
      ...uids.slice(0, 6).map((uid, i) => step(uid, IN_THREAD, 'fcm', i % 2 === 1 ? 'k' : null)),
      ...uids.slice(6).map((uid, i) => step(uid, DIRECT, 'email', i % 2 === 0 ? 'k' : null)),
      step('u00', DIRECT, 'email', 'k'),
    ];
    expect(base.key).toBe(KEY);
    const { state: reads, facts } = await jobReads(state, units);

    let compared = 0;
    for (const u of units) {
      const mid = u.mid ?? '';
      const s = await state.directory.messageState(mid);
      const tid = s?.tid ?? undefined;
      expect(facts.markerFacts(u)).toStrictEqual({
        state: s,
        cancelled: await state.units.cancelled(mid),
        engagement: await state.units.engagement(u.uid, mid, tid),
        collapsed: u.collapse === null ? false : await state.units.collapsed(u.uid, u.collapse, mid),
        profile: (await state.directory.contacts([u.uid], tid)).get(u.uid),
      });
      compared += 1;
    }
    expect(compared).toBe(units.length);
    // The job's answers differ between users (not one answer for all).
    const engaged = units.map((u) => facts.markerFacts(u)?.engagement.read);
    expect(engaged).toContain(true);
    expect(engaged).toContain(false);
    expect(units.map((u) => facts.markerFacts(u)?.collapsed)).toContain(true);

    const asked = [...uids, 'nobody'];
    for (const tid of [undefined, 't1', 't2'])
      for (const uid of asked) {
        expect((await reads.directory.contacts([uid], tid)).get(uid)).toStrictEqual(
          (await state.directory.contacts([uid], tid)).get(uid),
        );
        for (const mid of [IN_THREAD, DIRECT, NEWER]) {
          expect(await reads.units.engagement(uid, mid, tid)).toStrictEqual(
            await state.units.engagement(uid, mid, tid),
          );
          for (const ckey of ['k', 'j'])
            expect(await reads.units.collapsed(uid, ckey, mid)).toBe(await state.units.collapsed(uid, ckey, mid));
        }
      }
    for (const mid of [IN_THREAD, DIRECT, NEWER]) {
      expect(await reads.directory.messageState(mid)).toStrictEqual(await state.directory.messageState(mid));
      expect(await reads.units.cancelled(mid)).toBe(await state.units.cancelled(mid));
    }
    // Devices: the push users' as the store has them; the others' were not read by the job.
    for (const uid of asked) {
      const pushed = units.some((u) => u.uid === uid && u.channel === 'fcm');
      expect(facts.device(uid, `${uid}-d`)).toStrictEqual(
        pushed ? await state.directory.device(uid, `${uid}-d`) : 'unread',
      );
      expect(await reads.directory.device(uid, `${uid}-d`)).toStrictEqual(
        await state.directory.device(uid, `${uid}-d`),
      );
    }
    await state.close();
  });
});
