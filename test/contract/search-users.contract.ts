import { expect, it } from 'vitest';
import type { EventStore } from '../../ports/eventstore.js';
import type { SearchIndex } from '../../ports/search.js';
import type { SearchProjectionRunner } from '../../projections/search/open.js';
import type { SegmentQuery } from '../../schema/segment-query.js';
import type { DeviceId, UserId } from '../../schema/ids.js';
import type { DomainEvent } from '../../schema/events.js';
import { T0, iso, meta, streamOf } from '../unit/projections/fixtures.js';
import { SEGMENT_CASES, people, personEvents, selects } from './directory-fixture.js';

// The user directory and segment queries, for every search engine: documents folded from the
// user events, and for each query of SEGMENT_CASES exactly the users an independent reading of
// the population selects (count, and every page of the uids in order).

export interface SearchUsersCtx {
  readonly store: EventStore;
  readonly index: SearchIndex;
  readonly runner: SearchProjectionRunner;
}

const BASE = T0 + 86_400_000;

const all = async (index: SearchIndex, q: SegmentQuery, limit: number): Promise<string[]> => {
  const out: string[] = [];
  for (;;) {
    const last = out[out.length - 1];
    const page = await index.selectUsers(q, { limit, ...(last === undefined ? {} : { after: last }) });
    out.push(...page);
    if (page.length < limit) return out;
  }
};

export const searchUserCases = (fresh: () => Promise<SearchUsersCtx>): void => {
  it('folds user events into directory documents (tags, locale, timezone, attributes, channels, last seen)', async () => {
    const { store, index, runner } = await fresh();
    const u = 'ada' as UserId;
    const events = [
      {
        type: 'UserAttributesChanged',
        data: {
          uid: u,
          attributes: {
            tags: ['beta', 'beta', 'vip'],
            locale: 'de-DE',
            plan: 'pro',
            seats: 3,
            deep: { x: 1 },
          },
        },
      },
      { type: 'ContactPointsChanged', data: { uid: u, email: 'ada@example.org' } },
      { type: 'DeviceEnlisted', data: { uid: u, deviceId: 'dv1' as DeviceId, device: { os: 'ios', token: 'tok' } } },
      {
        type: 'DeviceEnlisted',
        data: { uid: u, deviceId: 'dv2' as DeviceId, device: { os: 'android', token: 'tok2' } },
      },
      { type: 'DeviceRevoked', data: { uid: u, deviceId: 'dv2' as DeviceId, reason: 'gone' } },
      { type: 'ChannelPreferencesChanged', data: { uid: u, channels: ['~email'] } },
      // The profile's time zone (not an attribute: one field for triage and the directory).
      { type: 'TimePreferencesChanged', data: { uid: u, timezone: 'Europe/Berlin' } },
    ] as DomainEvent[];
    let head = 0;
    for (const [i, e] of events.entries()) {
      const r = await store.append(streamOf(e), [{ ...e, metadata: meta(iso(BASE + i * 1000)) }], 'any');
      if (r.kind === 'appended') head = r.position;
    }
    await runner.waitFor(head, 20_000);
    expect([...(await index.users(['ada', 'nobody'])).values()]).toEqual([
      {
        uid: 'ada',
        tags: ['beta', 'vip'],
        locale: 'de-DE',
        timezone: 'Europe/Berlin',
        attrs: [
          { k: 'plan', s: 's:pro', n: null },
          { k: 'seats', s: 'n:3', n: 3 },
        ],
        devices: [{ id: 'dv1', channel: 'apns' }],
        email: true,
        cell: false,
        optedOut: ['email'],
        channels: ['apns'],
        lastSeen: iso(BASE + 3000),
      },
    ]);
  });

  it('selects the same users as an independent filter of the population, for every query', async () => {
    const { store, index, runner } = await fresh();
    const population = people(80);
    let head = 0;
    for (const p of population)
      for (const [e, ms] of personEvents(p)) {
        const r = await store.append(streamOf(e), [{ ...e, metadata: meta(iso(BASE + ms)) }], 'any');
        if (r.kind === 'appended') head = r.position;
      }
    await runner.waitFor(head, 30_000);
    for (const q of SEGMENT_CASES(BASE)) {
      const expected = population.filter((p) => selects(q, p, BASE)).map((p) => p.uid);
      const label = JSON.stringify(q);
      expect({ q: label, n: await index.countUsers(q) }).toEqual({ q: label, n: expected.length });
      expect({ q: label, uids: await all(index, q, 7) }).toEqual({ q: label, uids: expected });
    }
    // The cases are not all trivial: some select few, some most.
    const sizes = SEGMENT_CASES(BASE).map((q) => population.filter((p) => selects(q, p, BASE)).length);
    expect(sizes.filter((n) => n > 0 && n < population.length).length).toBeGreaterThan(15);
  }, 60_000);

  // The audience resolution of a large multicast (commands/multicast-audience.ts) pages the
  // directory by keyset (SQLite: uid > after; Elasticsearch: search_after on uid): every user
  // once, in uid order, and users added while it pages do not shift or repeat a page.
  it('pages a directory of several pages by keyset: each user once, in order, stable under inserts', async () => {
    const { store, index, runner } = await fresh();
    const uid = (i: number): string => `k-${String(i).padStart(5, '0')}`;
    const tagged = (id: string, tags: string[]) => ({
      type: 'UserAttributesChanged' as const,
      data: { uid: id as UserId, attributes: { tags } },
    });
    let head = 0;
    const add = async (id: string, tags: string[]) => {
      const e: DomainEvent = tagged(id, tags);
      const r = await store.append(streamOf(e), [{ ...e, metadata: meta(iso(BASE)) }], 'any');
      if (r.kind === 'appended') head = r.position;
    };
    // 2,500 users, every third not selected.
    for (let i = 0; i < 2_500; i += 1) await add(uid(i), i % 3 === 2 ? ['other'] : ['big']);
    await runner.waitFor(head, 60_000);
    const q: SegmentQuery = { tag: 'big' };
    const expected = Array.from({ length: 2_500 }, (_, i) => i)
      .filter((i) => i % 3 !== 2)
      .map(uid);
    expect(await index.countUsers(q)).toBe(expected.length);
    const first = await index.selectUsers(q, { limit: 1_000 });
    expect(first).toEqual(expected.slice(0, 1_000));
    // Mid-way, one user joins behind the cursor and one ahead of it.
    await add('k-00000a', ['big']);
    await add('k-02499z', ['big']);
    await runner.waitFor(head, 30_000);
    const rest: string[] = [];
    for (let after = first[first.length - 1]; after !== undefined; ) {
      const page = await index.selectUsers(q, { after, limit: 1_000 });
      rest.push(...page);
      after = page.length < 1_000 ? undefined : page[page.length - 1];
    }
    expect([...first, ...rest]).toEqual([...expected, 'k-02499z']);
  }, 120_000);
};
