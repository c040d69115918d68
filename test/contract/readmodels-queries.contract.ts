import { describe, expect, it } from 'vitest';
import { T0, ev, midsFrom, to } from '../unit/projections/fixtures.js';
import type { H } from './readmodels.contract.js';

// Each read model's queries (users, devices, threads, messages, isRecipient), driven by real
// events through the store's runner. Ported unchanged from the SQLite integration tests.
export const queryCases = (h: H): void => {
  describe('users', () => {
    it('counts each user once, whether recognized, enlisted or addressed', async () => {
      await h().put(
        ev.recognized('ann'),
        ev.enlisted('bob', 'd1'),
        ev.published('m1', to.users('ann', 'cid', 'dan')),
        ev.recognized('cid'),
      );
      expect(await h().models.userCount()).toBe(4);
    });
  });

  describe('devices', () => {
    it('lists newest first, drops revoked ones and moves a re-enlisted device to the front', async () => {
      await h().put(
        ev.enlisted('ann', 'd1'),
        ev.enlisted('ann', 'd2'),
        ev.enlisted('ann', 'd3'),
        ev.enlisted('bob', 'd9'),
      );
      expect((await h().models.devicesByUser('ann')).map((d) => d.deviceId)).toEqual(['d3', 'd2', 'd1']);
      await h().put(ev.revoked('ann', 'd2'), ev.enlisted('ann', 'd1', 'new-token'));
      const devices = await h().models.devicesByUser('ann');
      expect(devices.map((d) => d.deviceId)).toEqual(['d1', 'd3']);
      expect(devices[0]).toMatchObject({ channel: 'fcm', device: { os: 'android', token: 'new-token' } });
      expect(await h().models.devicesByUser('nobody')).toEqual([]);
    });
  });

  describe('threads', () => {
    it('shows settings, admins, publishers and the subscriber count', async () => {
      await h().put(
        ev.thread('t1', 'ann', { name: 'News' }),
        ev.joined('t1', 'ann', 'admin'),
        ev.joined('t1', 'bob', 'publisher'),
        ev.joined('t1', 'bob'),
        ev.joined('t1', 'cid'),
        ev.joined('t1', 'dan'),
        ev.left('t1', 'dan'),
      );
      expect(await h().models.thread('t1')).toMatchObject({
        tid: 't1',
        owner: 'ann',
        name: 'News',
        opens: true,
        openp: false,
        channels: ['webpush'],
        fallback: [],
        mtypes: [],
        admins: ['ann'],
        publishers: ['bob'],
        subscribers: 2,
      });
      expect(await h().models.thread('t2')).toBeUndefined();
      expect(await h().models.memberRoles('t1', 'bob')).toEqual(['publisher', 'subscriber']);
      expect(await h().models.memberRoles('t1', 'dan')).toEqual([]);
    });

    it('pages members by uid', async () => {
      await h().put(
        ev.thread('t1', 'ann'),
        ...['e', 'a', 'd', 'b', 'c'].map((uid) => ev.joined('t1', uid)),
        ev.joined('t1', 'b', 'admin'),
      );
      const first = await h().models.threadMembers('t1', { limit: 2 });
      expect(first).toEqual([
        { uid: 'a', roles: ['subscriber'] },
        { uid: 'b', roles: ['admin', 'subscriber'] },
      ]);
      const rest = await h().models.threadMembers('t1', { after: 'b', limit: 10 });
      expect(rest.map((m) => m.uid)).toEqual(['c', 'd', 'e']);
    });
  });

  describe('messages', () => {
    it('reports status: published, scheduled until due, cancelled, retracted', async () => {
      const now = h().clock.now().getTime();
      await h().put(
        ev.published('m1', to.thread('t1')),
        ev.published('m2', to.thread('t1'), { scheduled: now + 60_000 }),
        ev.published('m3', to.thread('t1'), { scheduled: now + 60_000 }),
        ev.cancelled('m3'),
        ev.published('m4', to.user('ann')),
        ev.retracted('m4'),
        ev.cancelled('m4'),
      );
      expect(await h().models.message('m1')).toMatchObject({
        mid: 'm1',
        tid: 't1',
        status: 'published',
        audience: { kind: 'thread', tid: 't1' },
        position: 1,
      });
      expect((await h().models.message('m2'))?.status).toBe('scheduled');
      expect((await h().models.message('m3'))?.status).toBe('cancelled');
      expect((await h().models.message('m4'))?.status).toBe('retracted');
      h().clock.advance(60_000);
      expect((await h().models.message('m2'))?.status).toBe('published');
      expect(await h().models.message('nope')).toBeUndefined();
    });

    it('lists a thread newest first by scheduled ?? at, ties by mid, hiding what is not due or withdrawn', async () => {
      const mid = midsFrom();
      const [a, b, c, d, e] = [mid(), mid(), mid(), mid(), mid()] as [string, string, string, string, string];
      const now = h().clock.now();
      await h().put(
        ev.published(a, to.thread('t1'), { at: T0 + 10 }),
        ev.published(b, to.thread('t1'), { at: T0 + 10 }),
        ev.published(c, to.thread('t1'), { at: T0 + 20, scheduled: T0 + 5 }),
        ev.published(d, to.thread('t1'), { at: T0 + 30, scheduled: now.getTime() + 1 }),
        ev.published(e, to.thread('t1'), { at: T0 + 40 }),
        ev.cancelled(e),
        ev.published('other', to.thread('t2'), { at: T0 + 50 }),
      );
      const page = await h().models.threadMessages('t1', { limit: 10 }, now);
      expect(page.messages.map((m) => m.mid)).toEqual([b, a, c]);
      expect(page.next).toBeNull();
      const firstTwo = await h().models.threadMessages('t1', { limit: 2 }, now);
      expect(firstTwo.messages.map((m) => m.mid)).toEqual([b, a]);
      const after = await h().models.threadMessages('t1', { limit: 2, before: firstTwo.next ?? 'missing' }, now);
      expect(after).toEqual({
        messages: [expect.objectContaining({ mid: c, scheduled: new Date(T0 + 5).toISOString() })],
        next: null,
      });
    });
  });

  describe('isRecipient', () => {
    it('follows the audience: user, users, everyone known before, thread subscribers at the time', async () => {
      await h().put(ev.recognized('old'), ev.joined('t1', 'sub'));
      await h().put(
        ev.published('direct', to.user('ann')),
        ev.published('multi', to.users('bob', 'cid')),
        ev.published('all', to.everyone()),
        ev.published('thread', to.thread('t1')),
        ev.recognized('late'),
        ev.joined('t1', 'latesub'),
      );
      const cases: [string, string, boolean][] = [
        ['direct', 'ann', true],
        ['direct', 'bob', false],
        ['multi', 'cid', true],
        ['multi', 'ann', false],
        ['all', 'old', true],
        ['all', 'ann', true],
        ['all', 'late', false],
        ['all', 'stranger', false],
        ['thread', 'sub', true],
        ['thread', 'latesub', false],
        ['nope', 'ann', false],
      ];
      for (const [mid, uid, expected] of cases)
        expect([mid, uid, await h().models.isRecipient(mid, uid)]).toEqual([mid, uid, expected]);
    });
  });
};
