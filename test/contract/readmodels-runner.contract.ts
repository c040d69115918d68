import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../schema/events.js';
import { T0, ev, meta, midsFrom, put, to } from '../unit/projections/fixtures.js';
import type { H } from './readmodels.contract.js';

// A log touching every read model, including removals and status changes that a careless
// replay would undo or double.
export const mixed = (): DomainEvent[] => {
  const mid = midsFrom();
  const m = Array.from({ length: 8 }, () => mid());
  const [m0, m1, m2, m3, m4, m5, m6, m7] = m as [string, string, string, string, string, string, string, string];
  return [
    ev.recognized('ann'),
    ev.enlisted('ann', 'd1'),
    ev.enlisted('bob', 'd2'),
    ev.thread('t1', 'ann'),
    ev.joined('t1', 'ann', 'admin'),
    ev.joined('t1', 'bob'),
    ev.published(m0, to.thread('t1')),
    ev.published(m1, to.everyone()),
    ev.published(m2, to.users('ann', 'cid')),
    ev.left('t1', 'bob'),
    ev.published(m3, to.thread('t1')),
    ev.joined('t1', 'bob'),
    ev.published(m4, to.thread('t1'), { scheduled: T0 + 9e9 }),
    ev.cancelled(m4),
    ev.published(m5, to.user('bob')),
    ev.retracted(m5),
    ev.acked('bob', [m0, m1], 'seen'),
    ev.acked('ann', [m2], 'read'),
    ev.marked('bob', m3, 't1'),
    ev.marked('ann', m1),
    ev.deleted('cid', [m2]),
    ev.revoked('ann', 'd1'),
    ev.enlisted('bob', 'd3'),
    ev.enlisted('bob', 'd2'),
    ev.published(m6, to.everyone()),
    ev.published(m7, to.thread('t1')),
    ev.left('t1', 'ann', 'admin'),
  ];
};

// The ProjectionRunner's promises. Ported from the SQLite runner tests; the SQLite-only ones
// (schema version, file wiring) stay in test/integration/projections-runner.int.test.ts.
export const runnerCases = (h: H): void => {
  describe('projection runner', () => {
    it('re-applying already applied events (checkpoint moved back) leaves the read models identical', async () => {
      const head = await h().put(...mixed());
      const before = await h().checksum();
      for (const back of [0, 7, 19]) {
        await h().runner.stop();
        await h().setCheckpoint(back);
        const again = await h().newRunner();
        again.start();
        expect(again.status()).toEqual([{ name: h().runnerName, position: back }]);
        await again.waitFor(head, 30_000);
        await again.stop();
        expect(await h().checksum()).toBe(before);
      }
      h().runner.start();
      await h().put(ev.recognized('someone-new'));
      expect(await h().checksum()).not.toBe(before);
    });

    it('rebuild drops stale and corrupted rows and replays the whole log: the read models of a build from scratch, reporting progress', async () => {
      const head = await h().put(...mixed());
      // The runner built these from an empty store at position zero: a from-scratch build.
      const scratch = await h().checksum();
      const users = await h().models.userCount();
      await h().plantStale();
      // The damage is real and visible through the queries (else clearing it proves nothing).
      expect(await h().checksum()).not.toBe(scratch);
      expect(await h().models.userCount()).toBe(users + 1);
      expect(await h().models.thread('t1')).toBeUndefined();
      const progress: [number, number][] = [];
      const report = await h().runner.rebuild((p, total) => progress.push([p, total]));
      expect(report).toEqual({ replayed: (await h().store.readAll({ after: 0, limit: 10_000 })).length });
      expect(report.replayed).toBe(mixed().length);
      expect(await h().checksum()).toBe(scratch);
      expect(await h().models.userCount()).toBe(users);
      expect(await h().models.thread('t1')).toMatchObject({ tid: 't1', owner: 'ann' });
      expect(progress.at(-1)).toEqual([head, head]);
      expect(h().runner.status()[0]?.position).toBe(head);
      // Still live after a rebuild, and queries prepared before it still work.
      await h().put(ev.published(midsFrom(T0 + 1e6)(), to.user('ann')));
      expect(await h().models.userCount()).toBe(3);
      expect((await h().models.inbox('ann', { limit: 50 }, h().clock.now())).messages).toHaveLength(4);
    });

    it('waitFor resolves once the position is applied, and rejects on timeout or stop', async () => {
      const head = await h().put(ev.recognized('ann'));
      await expect(h().runner.waitFor(head)).resolves.toBeUndefined();
      const pending = h().runner.waitFor(head + 1, 30_000);
      await h().put(ev.recognized('bob'));
      await expect(pending).resolves.toBeUndefined();
      await expect(h().runner.waitFor(head + 5, 30)).rejects.toThrow(/did not reach/);
      const stopped = h().runner.waitFor(head + 5, 30_000);
      await h().runner.stop();
      await expect(stopped).rejects.toThrow(/stopped/);
    });

    it('skips and counts events it does not know or cannot decode, and carries on', async () => {
      // A type no DomainEvent codec has (other components' events are of this kind).
      await h().store.append(
        'elsewhere-x',
        [{ type: 'SomethingElseHappened', data: { mid: 'x' }, metadata: meta() }],
        'any',
      );
      await h().store.append('user-bad', [{ type: 'DeviceEnlisted', data: { uid: 'bad' }, metadata: meta() }], 'any');
      await h().put(ev.recognized('ann'));
      expect(h().runner.skipped()).toEqual({ unknown: 1, invalid: 1 });
      expect(await h().models.userCount()).toBe(1);
    });

    it('a broadcast to a thousand users adds a fixed few rows, not one per user', async () => {
      await h().put(...Array.from({ length: 1000 }, (_, i) => ev.recognized(`u${i}`)));
      const rows = await h().rowCount();
      const m = midsFrom()();
      await h().put(ev.published(m, to.everyone()));
      expect((await h().rowCount()) - rows).toBe(h().rowsPerBroadcast);
      expect((await h().models.inbox('u777', { limit: 5 }, h().clock.now())).messages.map((x) => x.mid)).toEqual([m]);
    });

    it('a new runner resumes from the stored checkpoint', async () => {
      const head = await h().put(...mixed());
      const before = await h().checksum();
      await h().runner.stop();
      const resumed = await h().newRunner();
      expect(resumed.status()).toEqual([{ name: h().runnerName, position: head }]);
      resumed.start();
      const m = midsFrom(T0 + 1e6)();
      await resumed.waitFor(await put(h().store, ev.published(m, to.user('ann'))), 30_000);
      await resumed.stop();
      expect(await h().checksum()).not.toBe(before);
      expect((await h().models.inbox('ann', { limit: 1 }, h().clock.now())).messages.map((x) => x.mid)).toEqual([m]);
      expect(await h().models.userCount()).toBe(3);
    });
  });
};
