import { beforeEach, describe, expect, it } from 'vitest';
import { T0, ev, midsFrom, to } from '../unit/projections/fixtures.js';
import type { H } from './readmodels.contract.js';

// The inbox is resolved on read from direct rows, broadcasts and subscription periods: what
// reaches it, seen/read state, and paging with cursors. Ported unchanged from the SQLite
// integration tests (the query-plan check stays with SQLite).
export const inboxCases = (h: H): void => {
  let mid: ReturnType<typeof midsFrom>;
  beforeEach(() => {
    mid = midsFrom();
  });

  const inbox = async (uid: string, opts: { unseen?: boolean; limit?: number } = {}) =>
    (
      await h().models.inbox(
        uid,
        { limit: opts.limit ?? 50, ...(opts.unseen === undefined ? {} : { unseen: opts.unseen }) },
        h().clock.now(),
      )
    ).messages;
  const mids = async (uid: string, opts: { unseen?: boolean } = {}) => (await inbox(uid, opts)).map((m) => m.mid);

  describe('what reaches an inbox', () => {
    it('direct sends and multicasts reach exactly their recipients', async () => {
      const [a, b] = [mid(), mid()];
      await h().put(ev.published(a, to.user('ann')), ev.published(b, to.users('ann', 'bob')));
      expect(await mids('ann')).toEqual([b, a]);
      expect(await mids('bob')).toEqual([b]);
      expect(await mids('cid')).toEqual([]);
    });

    // Issue 13: a segment or query audience over 10,000 users is stored in AudienceChunk parts
    // before its message; the inbox shows the message to exactly the parts' users, once published.
    it('a chunked audience reaches exactly the users of its parts, once its message is in', async () => {
      const [a, b] = [mid(), mid()];
      await h().put(ev.chunk(a, 0, 'ann', 'bob'), ev.chunk(a, 1, 'cid'), ev.chunk(b, 0, 'ann'));
      expect(await mids('ann')).toEqual([]);
      await h().put(ev.published(a, to.chunked(3, 2)));
      expect(await mids('ann')).toEqual([a]);
      expect(await mids('bob')).toEqual([a]);
      expect(await mids('cid')).toEqual([a]);
      expect(await mids('dan')).toEqual([]);
      expect(await h().models.isRecipient(a, 'cid')).toBe(true);
      expect(await h().models.isRecipient(a, 'dan')).toBe(false);
      // Listed with the user's direct messages, newest first; a retraction withdraws it.
      const c = mid();
      await h().put(ev.published(c, to.user('cid')));
      expect(
        (await h().models.messagesTo({ kind: 'user', uid: 'cid' }, { limit: 10 }, h().clock.now())).messages.map(
          (m) => m.mid,
        ),
      ).toEqual([c, a]);
      await h().put(ev.retracted(a));
      expect(await mids('bob')).toEqual([]);
    });

    // GDPR erasure (docs/gdpr.md): the erased user leaves every multicast (a list, or a chunked
    // audience's parts, pending or copied); a direct message keeps its place; the other members
    // keep theirs; a multicast after the erasure reaches the user again. A rebuild (pages of 5
    // events: the parts, the message and the erasure in one batch) gives the same answers.
    it('an erased user leaves multicasts and chunked audiences; the other members stay', async () => {
      const [a, b, c, d, e] = [mid(), mid(), mid(), mid(), mid()];
      await h().put(
        ev.chunk(a, 0, 'ann', 'bob'),
        ev.chunk(a, 1, 'cid'),
        ev.published(a, to.chunked(3, 2)),
        ev.published(b, to.users('ann', 'cid')),
        ev.published(c, to.user('ann')),
        ev.chunk(d, 0, 'ann', 'dan'), // d's message comes after the erasure: parts still pending
      );
      expect(await mids('ann')).toEqual([c, b, a]);
      await h().put(ev.erased('ann'), ev.published(d, to.chunked(2, 1)));
      await h().put(ev.chunk(e, 0, 'ann', 'bob'), ev.published(e, to.chunked(2, 1)));
      const check = async (): Promise<void> => {
        expect(await mids('ann')).toEqual([e, c]);
        expect(await mids('bob')).toEqual([e, a]);
        expect(await mids('cid')).toEqual([b, a]);
        expect(await mids('dan')).toEqual([d]);
        for (const m of [a, b, d]) expect(await h().models.isRecipient(m, 'ann')).toBe(false);
        for (const m of [c, e]) expect(await h().models.isRecipient(m, 'ann')).toBe(true);
        expect(await h().models.isRecipient(a, 'cid')).toBe(true);
      };
      await check();
      await h().runner.rebuild();
      await check();
    });

    it('a broadcast reaches the users known before it, not those who come later', async () => {
      const [a, b] = [mid(), mid()];
      await h().put(
        ev.recognized('ann'),
        ev.published(a, to.everyone()),
        ev.enlisted('bob', 'd1'),
        ev.published(b, to.everyone()),
      );
      expect(await mids('ann')).toEqual([b, a]);
      expect(await mids('bob')).toEqual([b]);
      expect(await mids('stranger')).toEqual([]);
    });

    it('lists the threads a user subscribes to now, for realtime sessions', async () => {
      await h().put(
        ev.joined('t2', 'ann'),
        ev.joined('t1', 'ann'),
        ev.joined('t3', 'ann'),
        ev.left('t3', 'ann'),
        ev.joined('t1', 'bob', 'publisher'),
      );
      expect(await h().models.subscribedThreads('ann')).toEqual(['t1', 't2']);
      expect(await h().models.subscribedThreads('bob')).toEqual([]);
      expect(await h().models.subscribedThreads('nobody')).toEqual([]);
    });

    it('thread messages reach a subscriber only while subscribed, again after re-subscribing', async () => {
      const [before, during, gap, again] = [mid(), mid(), mid(), mid()];
      await h().put(
        ev.published(before, to.thread('t1')),
        ev.joined('t1', 'ann'),
        ev.published(during, to.thread('t1')),
        ev.left('t1', 'ann'),
        ev.published(gap, to.thread('t1')),
        ev.joined('t1', 'ann'),
        ev.published(again, to.thread('t1')),
        ev.joined('t1', 'bob', 'publisher'),
      );
      expect(await mids('ann')).toEqual([again, during]);
      expect((await inbox('ann'))[0]?.tid).toBe('t1');
      expect(await mids('bob')).toEqual([]);
    });

    it('leaves out cancelled, retracted, not yet due and deleted messages', async () => {
      const [ok, cancelled, retracted, later, deleted] = [mid(), mid(), mid(), mid(), mid()];
      const now = h().clock.now().getTime();
      await h().put(
        ev.published(ok, to.user('ann')),
        ev.published(cancelled, to.user('ann')),
        ev.cancelled(cancelled),
        ev.published(retracted, to.everyone()),
        ev.retracted(retracted),
        ev.published(later, to.user('ann'), { scheduled: now + 1_000 }),
        ev.published(deleted, to.users('ann', 'bob')),
        ev.deleted('ann', [deleted]),
      );
      expect(await mids('ann')).toEqual([ok]);
      expect(await mids('bob')).toEqual([deleted]);
      h().clock.advance(1_000);
      expect(await mids('ann')).toEqual([later, ok]);
    });
  });

  describe('seen and read', () => {
    it('acks: seen marks seen; read and clicked mark both; delivered marks nothing', async () => {
      const [d, s, r, c] = [mid(), mid(), mid(), mid()];
      await h().put(
        ...[d, s, r, c].map((m) => ev.published(m, to.user('ann'))),
        ev.acked('ann', [d], 'delivered'),
        ev.acked('ann', [s], 'seen'),
        ev.acked('ann', [r], 'read'),
        ev.acked('ann', [c], 'clicked'),
      );
      const flags = Object.fromEntries((await inbox('ann')).map((m) => [m.mid, [m.seen, m.read]]));
      expect(flags).toEqual({ [d]: [false, false], [s]: [true, false], [r]: [true, true], [c]: [true, true] });
      expect(await mids('ann', { unseen: true })).toEqual([d]);
    });

    it('a thread marker reads that thread up to its mid; an inbox marker reads everything up to its mid', async () => {
      const [t1a, t2a, t1b, dm, t1c] = [mid(), mid(), mid(), mid(), mid()];
      await h().put(
        ev.joined('t1', 'ann'),
        ev.joined('t2', 'ann'),
        ev.published(t1a, to.thread('t1')),
        ev.published(t2a, to.thread('t2')),
        ev.published(t1b, to.thread('t1')),
        ev.published(dm, to.user('ann')),
        ev.published(t1c, to.thread('t1')),
        ev.marked('ann', t1b, 't1'),
      );
      const read = async () => (await inbox('ann')).filter((m) => m.read && m.seen).map((m) => m.mid);
      expect(await read()).toEqual([t1b, t1a]);
      expect(await mids('ann', { unseen: true })).toEqual([t1c, dm, t2a]);
      await h().put(ev.marked('ann', dm));
      expect(await read()).toEqual([dm, t1b, t2a, t1a]);
      expect(await mids('ann', { unseen: true })).toEqual([t1c]);
      await h().put(ev.marked('ann', t1a)); // markers never move back
      expect(await mids('ann', { unseen: true })).toEqual([t1c]);
    });
  });

  describe('paging', () => {
    it('pages 250 messages from all three sources newest first, each exactly once', async () => {
      await h().put(ev.recognized('ann'), ev.joined('t1', 'ann'));
      const all: string[] = [];
      const audiences = [to.user('ann'), to.users('ann', 'bob'), to.everyone(), to.thread('t1'), to.thread('t1')];
      const events = [];
      for (let i = 0; i < 250; i += 1) {
        const m = mid();
        all.push(m);
        // Pairs share a timestamp, so ties broken by mid are paged too.
        events.push(
          ev.published(m, audiences[i % audiences.length] ?? to.everyone(), { at: T0 + Math.floor(i / 2) * 1000 }),
        );
      }
      await h().put(...events);
      const seen: string[] = [];
      let before: string | undefined;
      for (let pages = 0; pages < 100; pages += 1) {
        const page = await h().models.inbox(
          'ann',
          { limit: 40, ...(before === undefined ? {} : { before }) },
          h().clock.now(),
        );
        seen.push(...page.messages.map((m) => m.mid));
        if (page.next === null) break;
        before = page.next;
      }
      expect(seen).toEqual([...all].reverse());
    });

    it('an unreadable cursor gives an empty last page; limits are clamped to 1..200', async () => {
      await h().put(ev.published(mid(), to.user('ann')), ev.published(mid(), to.user('ann')));
      expect(await h().models.inbox('ann', { limit: 10, before: '%%%' }, h().clock.now())).toEqual({
        messages: [],
        next: null,
      });
      const one = await h().models.inbox('ann', { limit: 0 }, h().clock.now());
      expect(one.messages).toHaveLength(1);
      expect(one.next).not.toBeNull();
    });
  });
};
