import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../schema/events.js';
import type { ThreadId } from '../../schema/ids.js';
import { T0, ev, to } from '../unit/projections/fixtures.js';
import type { H } from './readmodels.contract.js';

// The queries issue 14 added: threadsOf (my threads), thread settings changed after creation,
// and messagesTo (onadata's targets), on every read store.
const changed = (tid: string, c: { name?: string; opens?: boolean; openp?: boolean }): DomainEvent => ({
  type: 'ThreadSettingsChanged',
  data: { tid: tid as ThreadId, ...c },
});

export const compatCases = (h: H): void => {
  describe('threadsOf and thread settings', () => {
    it('lists owned threads and those with roles, skips former memberships, pages by tid', async () => {
      await h().put(
        ev.thread('t1', 'ann'),
        ev.thread('t2', 'bob'),
        ev.thread('t3', 'bob'),
        ev.joined('t2', 'ann'),
        ev.joined('t2', 'ann', 'publisher'),
        ev.joined('t3', 'ann'),
        ev.left('t3', 'ann'),
        ev.joined('t1', 'ann', 'admin'),
      );
      expect(await h().models.threadsOf('ann', { limit: 10 })).toEqual([
        { tid: 't1', owner: true, roles: ['admin'] },
        { tid: 't2', owner: false, roles: ['publisher', 'subscriber'] },
      ]);
      expect(await h().models.threadsOf('ann', { after: 't1', limit: 1 })).toEqual([
        { tid: 't2', owner: false, roles: ['publisher', 'subscriber'] },
      ]);
      expect(await h().models.threadsOf('cid', { limit: 10 })).toEqual([]);
    });

    it('a later settings change wins over the settings created with, one field at a time', async () => {
      await h().put(ev.thread('t1', 'ann', { name: 'Old' }), changed('t1', { name: 'New', opens: false }));
      expect(await h().models.thread('t1')).toMatchObject({ name: 'New', opens: false, openp: false });
      await h().put(changed('t1', { openp: true }));
      expect(await h().models.thread('t1')).toMatchObject({ name: 'New', opens: false, openp: true });
    });
  });

  describe('messagesTo', () => {
    it("a thread's messages or a user's direct ones, newest first, with publication positions", async () => {
      const p1 = await h().put(ev.thread('t1', 'ann'), ev.published('m1', to.thread('t1'), { at: T0 }));
      const p2 = await h().put(ev.published('m2', to.user('bob'), { at: T0 + 1000 }));
      await h().put(
        ev.published('m3', to.users('bob', 'cid'), { at: T0 + 2000 }),
        ev.published('m4', to.thread('t1'), { at: T0 + 3000 }),
        ev.deleted('cid', ['m3']),
      );
      const now = new Date(T0 + 10_000);
      const thread = await h().models.messagesTo({ kind: 'thread', tid: 't1' }, { limit: 10 }, now);
      expect(thread.messages.map((m) => m.mid)).toEqual(['m4', 'm1']);
      expect(thread.messages[1]?.position).toBe(p1);
      const bob = await h().models.messagesTo({ kind: 'user', uid: 'bob' }, { limit: 1 }, now);
      expect(bob.messages.map((m) => m.mid)).toEqual(['m3']);
      const older = await h().models.messagesTo(
        { kind: 'user', uid: 'bob' },
        { limit: 1, ...(bob.next !== null ? { before: bob.next } : {}) },
        now,
      );
      expect([older.messages.map((m) => m.mid), older.messages[0]?.position]).toEqual([['m2'], p2]);
      const cid = await h().models.messagesTo({ kind: 'user', uid: 'cid' }, { limit: 10 }, now);
      expect(cid.messages).toEqual([]);
    });
  });
};
