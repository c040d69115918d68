import { expect, it } from 'vitest';
import type { EventStore } from '../../ports/eventstore.js';
import type { SearchIndex } from '../../ports/search.js';
import type { SearchProjectionRunner } from '../../projections/search/open.js';
import type { UserId } from '../../schema/ids.js';
import type { OnlineQuery } from '../../schema/online-time.js';
import { T0, iso, meta } from '../unit/projections/fixtures.js';

// Online time (the nodes' websocket check-ins) on every search engine: session time split per
// UTC minute, summed per interval, distinct users, top users; a replayed check-in counts once;
// an erasure removes the user's online time.

export interface SearchOnlineCtx {
  readonly store: EventStore;
  readonly index: SearchIndex;
  readonly runner: SearchProjectionRunner;
}

const S = 1_000;
const M = 60 * S;
const H = 60 * M;
// An hour boundary, so that minute and hour buckets both have something to split.
const BASE = Math.ceil((T0 + 2 * 86_400_000) / H) * H;
const at = (ms: number): string => iso(BASE + ms);

type Entry = { uid: string; onlineMs: number; sessions?: number };
const checkIn = (node: string, from: number, to: number, users: Entry[]) => ({
  type: 'UsersCheckedIn',
  data: {
    node,
    from: at(from),
    to: at(to),
    users: users.map((u) => ({
      uid: u.uid as UserId,
      sessions: u.sessions ?? 1,
      opened: 0,
      closed: 0,
      onlineMs: u.onlineMs,
    })),
  },
});

type Raw = { readonly type: string; readonly data: unknown };
const put = async (ctx: SearchOnlineCtx, events: readonly (readonly [string, Raw, number])[]): Promise<void> => {
  let position = 0;
  for (const [stream, e, ms] of events) {
    const r = await ctx.store.append(stream, [{ ...e, metadata: meta(at(ms)) }], 'any');
    if (r.kind !== 'appended') throw new Error('append refused');
    position = r.position;
  }
  await ctx.runner.waitFor(position, 20_000);
};

const q = (o: Partial<OnlineQuery>): OnlineQuery => ({
  interval: 'minute',
  since: at(-H),
  until: at(H),
  top: 10,
  ...o,
});

export const searchOnlineCases = (fresh: () => Promise<SearchOnlineCtx>): void => {
  it('sums session time per minute and hour, counts distinct users, ranks the top users; a replay counts once', async () => {
    const ctx = await fresh();
    // n1: [-30 s, +30 s) across the hour: ada 60 s (two tabs: 30 s x 2), bob 30 s. n2: ada 20 s in minute 0.
    const first = checkIn('n1', -30 * S, 30 * S, [
      { uid: 'ada', onlineMs: 60_000, sessions: 2 },
      { uid: 'bob', onlineMs: 30_000 },
    ]);
    await put(ctx, [
      ['presence-n1', first, 30 * S],
      ['presence-n2', checkIn('n2', 0, 40 * S, [{ uid: 'ada', onlineMs: 20_000 }]), 40 * S],
      // The same check-in again (a node re-sending it): the same documents, nothing added.
      ['presence-n1', first, 31 * S],
      ['presence-n1', checkIn('n1', 30 * S, 90 * S, [{ uid: 'cyd', onlineMs: 0 }]), 90 * S],
    ]);
    const minutes = await ctx.index.onlineTime(q({}));
    expect(minutes).toEqual({
      onlineMs: 110_000,
      users: 2,
      buckets: [
        { key: at(-M), onlineMs: 45_000, users: 2 },
        { key: at(0), onlineMs: 65_000, users: 2 },
      ],
      top: [
        { uid: 'ada', onlineMs: 80_000 },
        { uid: 'bob', onlineMs: 30_000 },
      ],
    });
    const hours = await ctx.index.onlineTime(q({ interval: 'hour', since: at(-H), until: at(H), top: 1 }));
    expect(hours).toEqual({
      onlineMs: 110_000,
      users: 2,
      buckets: [
        { key: at(-H), onlineMs: 45_000, users: 2 },
        { key: at(0), onlineMs: 65_000, users: 2 },
      ],
      top: [{ uid: 'ada', onlineMs: 80_000 }],
    });
    expect(await ctx.index.onlineTime(q({ uid: 'bob', since: at(0) }))).toEqual({
      onlineMs: 15_000,
      users: 1,
      buckets: [{ key: at(0), onlineMs: 15_000, users: 1 }],
      top: [{ uid: 'bob', onlineMs: 15_000 }],
    });
    expect(await ctx.index.onlineTime(q({ uid: 'nobody' }))).toEqual({ onlineMs: 0, users: 0, buckets: [], top: [] });
  });

  it('an erasure removes the user’s online time, the same batch’s earlier check-ins included; later ones count', async () => {
    const ctx = await fresh();
    await put(ctx, [
      [
        'presence-n1',
        checkIn('n1', 0, 10 * S, [
          { uid: 'eve', onlineMs: 10_000 },
          { uid: 'bob', onlineMs: 5_000 },
        ]),
        0,
      ],
    ]);
    await put(ctx, [
      ['presence-n1', checkIn('n1', 10 * S, 20 * S, [{ uid: 'eve', onlineMs: 7_000 }]), 20 * S],
      ['user-eve', { type: 'UserErased', data: { uid: 'eve' } }, 21 * S],
      ['presence-n1', checkIn('n1', 20 * S, 30 * S, [{ uid: 'eve', onlineMs: 3_000 }]), 30 * S],
    ]);
    const r = await ctx.index.onlineTime(q({}));
    expect(r.top).toEqual([
      { uid: 'bob', onlineMs: 5_000 },
      { uid: 'eve', onlineMs: 3_000 },
    ]);
    expect(r.onlineMs).toBe(8_000);
  });
};
