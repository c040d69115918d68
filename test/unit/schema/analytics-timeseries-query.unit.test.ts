import { describe, expect, it } from 'vitest';
import { analyticsTimeseriesQuery } from '../../../schema/analytics-timeseries-query.js';
import { fillRange } from '../../../domain/analytics/timeseries.js';

const decode = (qs: string) => {
  const q = new URLSearchParams(qs);
  return analyticsTimeseriesQuery((name) => q.get(name));
};

describe('the analytics timeseries query string', () => {
  it('rounds since down to the interval and keeps the split', () => {
    expect(decode('interval=hour&since=2026-01-01T10:30:00Z&until=2026-01-01T12:00:00Z&by=channel')).toEqual({
      ok: { interval: 'hour', since: '2026-01-01T10:00:00.000Z', until: '2026-01-01T12:00:00.000Z', by: 'channel' },
    });
    expect(decode('interval=day&since=2026-01-01T00:00:00Z&until=2028-09-27T00:00:00Z')).toMatchObject({
      ok: { by: null },
    });
  });

  it('refuses a range of more than 1000 buckets, and every bad value, naming the parameter', () => {
    const cases: [string, string][] = [
      ['since=2026-01-01T00:00:00Z&until=2026-01-02T00:00:00Z', 'interval'],
      ['interval=week&since=2026-01-01T00:00:00Z&until=2026-01-02T00:00:00Z', 'interval'],
      ['interval=hour&until=2026-01-02T00:00:00Z', 'since'],
      ['interval=hour&since=2026-01-01T00:00:00Z', 'until'],
      ['interval=hour&since=now&until=2026-01-02T00:00:00Z', 'since'],
      ['interval=hour&since=2026-02-30T00:00:00Z&until=2026-03-03T00:00:00Z', 'since'],
      ['interval=hour&since=2026-02-01T00:00:00Z&until=2026-02-29T00:00:00Z', 'until'],
      ['interval=hour&since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z', 'until'],
      ['interval=minute&since=2026-01-01T00:00:00Z&until=2026-01-01T16:41:00Z', 'until'],
      ['interval=minute&since=2000-01-01T00:00:00Z&until=2100-01-01T00:00:00Z', 'until'],
      ['interval=day&since=2026-01-01T00:00:00Z&until=2026-01-02T00:00:00Z&by=sender', 'by'],
    ];
    for (const [qs, field] of cases) expect(decode(qs), qs).toMatchObject({ error: { field } });
    expect(decode('interval=minute&since=2026-01-01T00:00:00Z&until=2026-01-01T16:40:00Z')).toHaveProperty('ok');
  });

  it('lists every bucket of the range, zeros included', () => {
    const filled = fillRange(
      [{ key: '2026-01-01T01:00:00.000Z', count: 3 }],
      'hour',
      '2026-01-01T00:00:00.000Z',
      '2026-01-01T02:30:00.000Z',
    );
    expect(filled.map((b) => `${b.key.slice(11, 13)}:${b.count}`)).toEqual(['00:0', '01:3', '02:0']);
  });
});
