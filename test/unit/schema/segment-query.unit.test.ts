import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { SEGMENT_LIMITS, SegmentQueryC, decodeSegmentQuery } from '../../../schema/segment-query.js';
import { attributePairs, attributeTags } from '../../../schema/user-directory.js';

const left = (u: unknown) => {
  const r = decodeSegmentQuery(u);
  if (E.isRight(r)) throw new Error(`expected a refusal of ${JSON.stringify(u)}`);
  return r.left;
};

describe('segment query codec', () => {
  it('decodes every form and keeps a canonical shape (instants normalised)', () => {
    const q = {
      all: [
        { tag: 'beta' },
        { attribute: 'plan', eq: 'pro' },
        { attribute: 'plan', in: ['pro', 3, true] },
        { attribute: 'seats', gt: 2 },
        { attribute: 'seats', lt: 9.5 },
        { lastSeen: { after: '2026-01-01T01:00:00+01:00', before: '2026-02-01T00:00:00Z' } },
        { channel: 'webpush' },
        { any: [] },
        { not: { tag: 'x' } },
      ],
    };
    expect(decodeSegmentQuery(q)).toEqual(
      E.right({
        ...q,
        all: q.all.map((n) =>
          'lastSeen' in n ? { lastSeen: { after: '2026-01-01T00:00:00.000Z', before: '2026-02-01T00:00:00.000Z' } } : n,
        ),
      }),
    );
  });

  it('names the path of the bad node', () => {
    expect(left({ all: [{ tag: 'a' }, { any: [{ attribute: 'p q', eq: 1 }] }] })).toMatchObject({
      path: 'query.all[1].any[0].attribute',
    });
    expect(left({ not: { attribute: 'plan', in: ['a', { x: 1 }] } }).path).toBe('query.not.in[1]');
    expect(left({ attribute: 'plan', eq: 'a', gt: 1 }).path).toBe('query');
    // A value longer than the directory indexes is refused saying so, not as if it were no string.
    expect(left({ attribute: 'plan', eq: 'x'.repeat(257) })).toEqual({
      path: 'query.eq',
      msg: 'expected a string of at most 256 characters, a number or a boolean',
    });
    expect(E.isRight(decodeSegmentQuery({ attribute: 'plan', eq: 'x'.repeat(256) }))).toBe(true);
    expect(left({ tag: 'a', extra: 1 }).path).toBe('query.extra');
    expect(left({ lastSeen: { after: 'yesterday' } }).path).toBe('query.lastSeen.after');
    expect(left({ lastSeen: { after: '2026-01-01T00:00:00' } }).path).toBe('query.lastSeen.after');
    expect(left({ channel: 'Web Push' }).path).toBe('query.channel');
    // Only what a user can be reached on: a websocket-only or misspelt channel would select nobody.
    for (const channel of ['websocket', 'carrier-pigeon', 'mqtt', 'push'])
      expect(left({ any: [{ tag: 'a' }, { channel }] })).toEqual({
        path: 'query.any[1].channel',
        msg: 'expected one of apns, email, fcm, sms, webpush',
      });
    expect(left({ attribute: 'n', gt: '3' }).path).toBe('query.gt');
    expect(left({ match_all: {} }).path).toBe('query');
    expect(left([]).path).toBe('query');
    expect(left(null).path).toBe('query');
    expect(left({ all: {} }).path).toBe('query.all');
  });

  it('refuses a day the month does not have and an instant outside years 0000..9999, not saving another one', () => {
    for (const after of [
      '2026-02-29T00:00:00Z',
      '2026-02-30T00:00:00Z',
      '2026-04-31T00:00:00Z',
      '2100-02-29T00:00:00Z',
      '9999-12-31T23:59:59-23:59',
      '0000-01-01T00:00:00+00:01',
    ])
      expect(left({ lastSeen: { after } })).toEqual({
        path: 'query.lastSeen.after',
        msg: 'expected an ISO 8601 instant with a zone, e.g. 2026-01-01T00:00:00Z',
      });
    const ok = (after: string) => decodeSegmentQuery({ lastSeen: { after } });
    expect(ok('2024-02-29T00:00:00Z')).toEqual(E.right({ lastSeen: { after: '2024-02-29T00:00:00.000Z' } }));
    expect(ok('2000-02-29T12:00:00+01:00')).toEqual(E.right({ lastSeen: { after: '2000-02-29T11:00:00.000Z' } }));
    expect(ok('2026-12-31T23:59:59Z')).toEqual(E.right({ lastSeen: { after: '2026-12-31T23:59:59.000Z' } }));
    expect(ok('0000-02-29T00:00:00Z')).toEqual(E.right({ lastSeen: { after: '0000-02-29T00:00:00.000Z' } }));
  });

  it('bounds depth, size and lists', () => {
    let deep: unknown = { tag: 'a' };
    for (let i = 0; i < SEGMENT_LIMITS.depth; i++) deep = { not: deep };
    expect(left(deep).msg).toMatch(/nest at most/);
    const wide = { any: Array.from({ length: SEGMENT_LIMITS.nodes }, () => ({ tag: 'a' })) };
    expect(left(wide).msg).toMatch(/at most 100 nodes/);
    expect(left({ attribute: 'a', in: Array.from({ length: 101 }, (_, i) => i) }).path).toBe('query.in');
    expect(left({ attribute: 'a', in: [] }).path).toBe('query.in');
    // A hostile nesting far past the bound is refused without walking it all.
    let hostile: unknown = { tag: 'a' };
    for (let i = 0; i < 100_000; i++) hostile = { not: hostile };
    expect(left(hostile).msg).toMatch(/nest at most/);
  });
});

describe('directory attributes', () => {
  it('indexes scalar values and lists of scalars by type, skipping reserved, nested and bad keys', () => {
    expect(
      attributePairs({
        plan: 'pro',
        seats: 3,
        trial: true,
        langs: ['de', 'en', 'de', { x: 1 }],
        deep: { a: 1 },
        tags: ['x'],
        'bad key': 1,
        long: 'x'.repeat(300),
      }),
    ).toEqual([
      { k: 'langs', s: 's:de', n: null },
      { k: 'langs', s: 's:en', n: null },
      { k: 'plan', s: 's:pro', n: null },
      { k: 'seats', s: 'n:3', n: 3 },
      { k: 'trial', s: 'b:true', n: null },
    ]);
    expect(attributeTags({ tags: ['b', 'a', 'b', 3, ''] })).toEqual(['a', 'b']);
    expect(attributeTags({ tags: 'a' })).toEqual([]);
  });
});

describe('a segment query stored in the log', () => {
  it('decodes as it was accepted, also naming a channel outside the set callers may use today', () => {
    const q = { all: [{ channel: 'websocket' }, { tag: 'a' }] };
    expect(SegmentQueryC.decode(q)).toEqual({ _tag: 'Right', right: q });
    expect(SegmentQueryC.is(q)).toBe(true);
    expect(SegmentQueryC.is({ channel: 'Web Push' })).toBe(false);
  });
});
