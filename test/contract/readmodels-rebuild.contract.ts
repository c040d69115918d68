import { describe, expect, it } from 'vitest';
import { T0, ev, midsFrom, to } from '../unit/projections/fixtures.js';
import { REFUSED } from './faulty-log.js';
import type { H } from './readmodels.contract.js';
import { mixed } from './readmodels-runner.contract.js';

// Blue/green rebuilds (follower/rebuild.ts) on every read store: the new generation is built
// beside the live one, which keeps answering with its complete data and following the log;
// queries see the new one only once it caught up and was swapped in; a rebuild that fails
// part-way changes nothing the queries see. The live generation is damaged first (plantStale),
// so that "the old data" and "the rebuilt data" differ and each answer says which one it is.

export const rebuildCases = (h: H): void => {
  describe('blue/green rebuild', () => {
    it('a rebuild that fails part-way leaves the old generation serving its data and following the log', async () => {
      await h().put(...mixed());
      await h().plantStale();
      const damaged = await h().checksum();
      const users = await h().models.userCount();
      h().faults.failAfter(2);
      await expect(h().runner.rebuild()).rejects.toThrow(REFUSED);
      // It failed part-way: two pages were built into the new generation first.
      expect(h().faults.pages()).toBe(2);
      expect(await h().checksum()).toBe(damaged);
      expect(await h().models.userCount()).toBe(users);
      expect(await h().models.thread('t1')).toBeUndefined();
      // Still following: an append after the failure reaches the old generation.
      h().faults.heal();
      const p = await h().put(ev.recognized('after-the-failure'));
      expect(h().runner.status()[0]?.position).toBe(p);
      expect(await h().models.userCount()).toBe(users + 1);
      // And the next rebuild replaces it: the damage is gone, the later append is there.
      const report = await h().runner.rebuild();
      expect(report.replayed).toBe(mixed().length + 1);
      expect(await h().models.userCount()).toBe(users);
      expect(await h().models.thread('t1')).toMatchObject({ tid: 't1', owner: 'ann' });
    });

    it('queries during a rebuild see the complete old data; after the swap, the new; appends meanwhile reach both', async () => {
      await h().put(...mixed());
      await h().plantStale();
      const damaged = await h().checksum();
      const users = await h().models.userCount();
      const held = h().faults.holdAfter(2);
      const rebuilding = h().runner.rebuild();
      await held;
      // The new generation holds two pages and waits for the third: queries still read the old one.
      expect(await h().checksum()).toBe(damaged);
      expect(await h().models.userCount()).toBe(users);
      expect(await h().models.thread('t1')).toBeUndefined();
      const m = midsFrom(T0 + 2e6)();
      await h().put(ev.published(m, to.user('ann')));
      const inbox = async () =>
        (await h().models.inbox('ann', { limit: 50 }, h().clock.now())).messages.map((x) => x.mid);
      expect(await inbox()).toContain(m);
      h().faults.release();
      const report = await rebuilding;
      expect(report.replayed).toBe(mixed().length + 1);
      expect(await h().checksum()).not.toBe(damaged);
      expect(await h().models.userCount()).toBe(users - 1);
      expect(await h().models.thread('t1')).toMatchObject({ tid: 't1', owner: 'ann' });
      expect(await inbox()).toContain(m);
      // Following the log on the new generation.
      const later = midsFrom(T0 + 3e6)();
      await h().put(ev.published(later, to.user('ann')));
      expect(await inbox()).toContain(later);
    });
  });
};
