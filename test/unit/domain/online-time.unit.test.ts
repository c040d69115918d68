import { describe, expect, it } from 'vitest';
import { checkInPieces, onlineReport } from '../../../domain/analytics/online.js';
import { analyticsOnlineQuery } from '../../../schema/analytics-online-query.js';
import { decodeBatch } from '../../../follower/decode.js';
import type { RecordedEvent } from '../../../ports/eventstore.js';
import { meta } from '../projections/fixtures.js';

const T = Date.parse('2026-01-01T10:00:00.000Z');
const iso = (ms: number) => new Date(T + ms).toISOString();

describe('online time', () => {
  it('splits a check-in over the UTC minutes it spans, in proportion, adding up exactly', () => {
    const pieces = checkInPieces('n1', iso(-20_000), iso(100_000), { uid: 'ada', onlineMs: 12_001 });
    expect(pieces.map((p) => [p.at, p.onlineMs])).toEqual([
      [iso(-60_000), 2_000],
      [iso(0), 6_000],
      [iso(60_000), 4_001],
    ]);
    expect(new Set(pieces.map((p) => p.id)).size).toBe(3);
    expect(checkInPieces('n1', iso(0), iso(1_000), { uid: 'ada', onlineMs: 0 })).toEqual([]);
    // A reversed interval (a clock step back) keeps the time, in its start minute.
    expect(checkInPieces('n1', iso(5_000), iso(1_000), { uid: 'ada', onlineMs: 7 })).toMatchObject([
      { at: iso(0), onlineMs: 7 },
    ]);
  });

  it('reports every interval of the range with its average concurrency', () => {
    const q = { interval: 'minute' as const, since: iso(0), until: iso(180_000), top: 10 };
    const r = onlineReport(q, {
      onlineMs: 90_000,
      users: 2,
      buckets: [{ key: iso(60_000), onlineMs: 90_000, users: 2 }],
      top: [{ uid: 'ada', onlineMs: 90_000 }],
    });
    expect(r.buckets).toEqual([
      { key: iso(0), onlineSeconds: 0, users: 0, concurrent: 0 },
      { key: iso(60_000), onlineSeconds: 90, users: 2, concurrent: 1.5 },
      { key: iso(120_000), onlineSeconds: 0, users: 0, concurrent: 0 },
    ]);
    expect(r.top).toEqual([{ uid: 'ada', onlineSeconds: 90 }]);
  });

  it('decodes the query, naming the bad parameter', () => {
    const get = (q: Record<string, string>) => (name: string) => q[name] ?? null;
    const base = { interval: 'hour', since: iso(30 * 60_000), until: iso(3 * 3_600_000) };
    expect(analyticsOnlineQuery(get(base))).toEqual({ ok: { ...base, since: iso(0), top: 10 } });
    const field = (q: Record<string, string>) => {
      const r = analyticsOnlineQuery(get(q));
      return 'error' in r ? r.error.field : 'ok';
    };
    expect(field({ ...base, uid: 'a b' })).toBe('uid');
    expect(field({ ...base, top: '1e2' })).toBe('top');
    expect(field({ ...base, interval: 'week' })).toBe('interval');
    expect(field({ ...base, since: 'yesterday' })).toBe('since');
  });

  it('hands check-ins only to a follower that names them in its types', () => {
    const checkIn: RecordedEvent = {
      stream: 'presence-n1',
      revision: 0,
      position: 1,
      type: 'UsersCheckedIn',
      data: { node: 'n1', from: iso(0), to: iso(1_000), users: [] },
      metadata: meta(iso(1_000)),
    };
    const now = () => iso(0);
    expect(decodeBatch('f', [checkIn], 0, undefined, now)).toMatchObject({ events: [], dead: [], last: 1 });
    expect(decodeBatch('f', [checkIn], 0, new Set(['MessagePublished']), now).events).toEqual([]);
    const asked = decodeBatch('f', [checkIn], 0, new Set(['UsersCheckedIn']), now);
    expect(asked.dead).toEqual([]);
    expect(asked.events.map((e) => e.event.type)).toEqual(['UsersCheckedIn']);
  });
});
