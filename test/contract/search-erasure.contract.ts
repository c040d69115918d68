import { expect, it } from 'vitest';
import type { Followed } from '../../ports/follower.js';
import { searchHandler } from '../../projections/search/handler.js';
import type { DomainEvent } from '../../schema/events.js';
import type { UserId } from '../../schema/ids.js';
import { ERASED_TEXT } from '../../schema/personal.js';
import { T0, ev, iso, meta, streamOf } from '../unit/projections/fixtures.js';
import type { SearchUsersCtx } from './search-users.contract.js';

// An erased user (docs/gdpr.md), for every search engine: their directory document is removed
// (segments no longer count or select them) and their direct messages' text and words are gone,
// while other users' documents and messages to several users keep theirs.

const BASE = T0 + 2 * 86_400_000;
const uid = (s: string) => s as UserId;
const profile = (who: string): DomainEvent[] => [
  { type: 'UserAttributesChanged', data: { uid: uid(who), attributes: { tags: ['vip'], plan: 'pro' } } },
  { type: 'ContactPointsChanged', data: { uid: uid(who), email: `${who}@example.org` } },
];
const erased = (who: string): DomainEvent => ({ type: 'UserErased', data: { uid: uid(who) } });
const direct = (mid: string, to: string, msg: string) =>
  ev.published(mid, { kind: 'user', uid: uid(to) }, { msg, at: BASE });

const textOf = async (ctx: SearchUsersCtx, mid: string): Promise<string | undefined> =>
  (await ctx.index.messages([mid])).get(mid)?.text;
const found = async (ctx: SearchUsersCtx, text: string): Promise<string[]> => {
  await ctx.index.refresh();
  return (await ctx.index.searchMessages({ limit: 10, filter: { text } })).hits.map((h) => h.mid).sort();
};

export const searchErasureCases = (fresh: () => Promise<SearchUsersCtx>): void => {
  it('an erasure removes the directory document and the words of direct messages; a returning user starts empty', async () => {
    const ctx = await fresh();
    const { store, index, runner } = ctx;
    const append = async (events: readonly DomainEvent[]): Promise<void> => {
      let head = 0;
      for (const [i, e] of events.entries()) {
        const r = await store.append(streamOf(e), [{ ...e, metadata: meta(iso(BASE + i * 1000)) }], 'any');
        if (r.kind === 'appended') head = r.position;
      }
      await runner.waitFor(head, 20_000);
    };
    await append([
      ...profile('eve'),
      ...profile('bob'),
      direct('m-eve', 'eve', 'secret plans alpha'),
      direct('m-bob', 'bob', 'bob notes alpha'),
      ev.published('m-both', { kind: 'users', uids: [uid('eve'), uid('bob')] }, { msg: 'shared alpha', at: BASE }),
    ]);
    expect(await index.countUsers({ tag: 'vip' })).toBe(2);
    expect(await found(ctx, 'plans')).toEqual(['m-eve']);

    await append([erased('eve')]);
    expect([...(await index.users(['eve', 'bob'])).keys()]).toEqual(['bob']);
    expect(await index.countUsers({ tag: 'vip' })).toBe(1);
    expect(await index.selectUsers({ channel: 'email' }, { limit: 10 })).toEqual(['bob']);
    expect(await textOf(ctx, 'm-eve')).toBe(ERASED_TEXT);
    expect(await found(ctx, 'plans')).toEqual([]);
    expect(await found(ctx, 'alpha')).toEqual(['m-bob', 'm-both']);
    expect(await textOf(ctx, 'm-both')).toBe('shared alpha');

    // After the erasure the user may come back: a new document from the new events only.
    await append([ev.recognized('eve')]);
    const back = (await index.users(['eve'])).get('eve');
    expect(back).toMatchObject({ uid: 'eve', tags: [], attrs: [], email: false, channels: [] });
    expect(back?.lastSeen).not.toBeNull();
    expect(await index.countUsers({ tag: 'vip' })).toBe(1);
  });

  it('an erasure in one batch with the events before it leaves nothing of them, and keeps what follows it', async () => {
    const { index } = await fresh();
    const events: DomainEvent[] = [
      ...profile('ann'),
      direct('m-ann', 'ann', 'unique lighthouse words'),
      erased('ann'),
      ev.recognized('ann'),
      ...profile('cy'),
    ];
    const batch: Followed[] = events.map((event, i) => ({
      event,
      position: i + 1,
      revision: i,
      stream: streamOf(event),
      metadata: meta(iso(BASE + i * 1000)),
    }));
    await searchHandler(index).handle(batch);
    await index.refresh();
    const docs = await index.users(['ann', 'cy']);
    expect(docs.get('ann')).toMatchObject({ tags: [], email: false, channels: [] });
    expect(docs.get('cy')).toMatchObject({ tags: ['vip'], email: true, channels: ['email'] });
    expect(await index.countUsers({ tag: 'vip' })).toBe(1);
    expect((await index.messages(['m-ann'])).get('m-ann')?.text).toBe(ERASED_TEXT);
    expect((await index.searchMessages({ limit: 10, filter: { text: 'lighthouse' } })).total).toBe(0);
  });
};
