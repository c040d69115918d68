import { describe, expect, it } from 'vitest';
import { analyticsFunnelQuery } from '../../../schema/analytics-funnel-query.js';
import { readMs } from '../../../schema/search-documents.js';

const decode = (qs: string) => {
  const q = new URLSearchParams(qs);
  return analyticsFunnelQuery((name) => q.get(name));
};

describe('the analytics funnel query string', () => {
  it('maps one message, a thread, a time range, or a thread in a range onto the port filters', () => {
    expect(decode('mid=m1')).toEqual({
      ok: { scope: { mid: 'm1' }, messages: { mid: 'm1' }, deliveries: { mid: 'm1', read: true } },
    });
    expect(decode('tid=t1')).toEqual({
      ok: { scope: { tid: 't1' }, messages: { tid: 't1' }, deliveries: { tid: 't1', read: true } },
    });
    const range = { gte: '2026-01-01T00:00:00.000Z', lt: '2026-01-01T23:00:00.000Z' };
    expect(decode('tid=t1&since=2026-01-01T00:00:00Z&until=2026-01-02T00:00:00%2B01:00')).toEqual({
      ok: {
        scope: { tid: 't1', since: range.gte, until: range.lt },
        messages: { tid: 't1', at: range },
        deliveries: { tid: 't1', msgAt: range, read: true },
      },
    });
    expect(decode('since=2026-01-01T00:00:00Z')).toMatchObject({ ok: { messages: { at: { gte: range.gte } } } });
  });

  it('refuses a bad or missing scope naming the parameter', () => {
    const cases: [string, string][] = [
      ['', 'mid'],
      ['mid=a/b', 'mid'],
      ['mid=m1&tid=t1', 'mid'],
      ['mid=m1&since=2026-01-01T00:00:00Z', 'mid'],
      ['tid=%20', 'tid'],
      ['since=yesterday', 'since'],
      ['since=2026-02-30T00:00:00Z', 'since'],
      ['until=2026-13-01T00:00:00Z', 'until'],
      ['since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z', 'until'],
      ['tag=spring-sale', 'tag'],
      ['tid=t1&tag=x', 'tag'],
    ];
    for (const [qs, field] of cases) expect(decode(qs), qs).toMatchObject({ error: { field } });
  });
});

describe('time to read as both engines bucket it', () => {
  it('rounds up to two significant digits, exact below 100 ms', () => {
    expect([0, -5, 1, 57, 99, 100, 101, 1234, 9_999, 10_000, 86_400_001].map(readMs)).toEqual([
      0, 0, 1, 57, 99, 100, 110, 1300, 10_000, 10_000, 87_000_000,
    ]);
  });
});
