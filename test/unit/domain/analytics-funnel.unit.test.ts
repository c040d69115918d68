import { describe, expect, it } from 'vitest';
import { funnelReport, percentile } from '../../../domain/analytics/funnel.js';
import { zeroChannels, zeroFunnel } from '../../../schema/search-documents.js';

describe('funnel report', () => {
  it('takes nearest-rank percentiles over (value, count) buckets in any order', () => {
    const b = (key: number, count: number) => ({ key: String(key), count });
    const buckets = [b(900, 1), b(100, 5), b(20, 4)]; // 10 values: 20 x4, 100 x5, 900 x1
    expect(percentile(buckets, 40)).toBe(20);
    expect(percentile(buckets, 41)).toBe(100);
    expect(percentile(buckets, 50)).toBe(100);
    expect(percentile(buckets, 90)).toBe(100);
    expect(percentile(buckets, 91)).toBe(900);
    expect(percentile(buckets, 99)).toBe(900);
    expect(percentile([], 50)).toBeNull();
    expect(percentile([b(7, 1)], 1)).toBe(7);
  });

  it('reports counts with rates of the addressed, null rates when nobody was addressed', () => {
    const totals = {
      ...zeroFunnel(),
      messages: 3,
      addressed: 8,
      triaged: 6,
      attempted: { ...zeroChannels(), email: 4 },
      sent: { ...zeroChannels(), email: 3 },
      sentAny: 5,
      delivered: 4,
      seen: 3,
      read: 2,
      clicked: 1,
    };
    const r = funnelReport(totals, [{ key: '1300', count: 2 }]);
    expect(r).toMatchObject({
      messages: 3,
      addressed: 8,
      triaged: { count: 6, rate: 0.75 },
      sent: { count: 5, rate: 0.625 },
      delivered: { count: 4, rate: 0.5 },
      read: { count: 2, rate: 0.25 },
      clicked: { count: 1, rate: 0.125 },
      timeToRead: { reads: 2, p50: 1300, p90: 1300, p99: 1300 },
    });
    expect(r.channels.email).toEqual({ attempted: 4, sent: 3, rate: 0.375 });
    expect(r.channels.sms).toEqual({ attempted: 0, sent: 0, rate: 0 });
    const empty = funnelReport({ ...zeroFunnel(), messages: 0 }, []);
    expect(empty.read).toEqual({ count: 0, rate: null });
    expect(empty.timeToRead).toEqual({ reads: 0, p50: null, p90: null, p99: null });
  });
});
