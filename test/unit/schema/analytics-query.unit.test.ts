import { describe, expect, it } from 'vitest';
import { analyticsMessagesQuery } from '../../../schema/analytics-query.js';
import { cursorOf } from '../../../schema/search-query.js';

const decode = (qs: string) => {
  const q = new URLSearchParams(qs);
  return analyticsMessagesQuery((name) => q.get(name));
};

describe('the analytics messages query string', () => {
  it('maps every filter onto the search port query', () => {
    const after = cursorOf({ at: '2026-01-01T00:00:00.000Z', mid: 'm1' });
    expect(
      decode(
        `text=hello+world&tid=t1&sender=ann&urgencyMin=2&urgencyMax=3&since=2026-01-01T00:00:00Z&until=2026-01-02T00:00:00%2B01:00&status=published,cancelled&outcome=read,given_up&limit=10&after=${after}`,
      ),
    ).toEqual({
      ok: {
        limit: 10,
        after,
        filter: {
          text: 'hello world',
          tid: 't1',
          from: 'ann',
          urgency: { gte: 2, lte: 3 },
          at: { gte: '2026-01-01T00:00:00.000Z', lt: '2026-01-01T23:00:00.000Z' },
          status: ['published', 'cancelled'],
          reached: ['read', 'given_up'],
        },
      },
    });
    expect(decode('')).toEqual({ ok: { limit: 50, filter: {} } });
    expect(decode('urgencyMax=1')).toEqual({ ok: { limit: 50, filter: { urgency: { lte: 1 } } } });
    expect(decode('channel=email,websocket,email')).toEqual({
      ok: { limit: 50, filter: { channel: ['email', 'websocket'] } },
    });
  });

  it('refuses a bad value naming the parameter', () => {
    const cases: [string, string][] = [
      ['text=', 'text'],
      ['tid=a/b', 'tid'],
      ['sender=%20', 'sender'],
      ['urgencyMin=0', 'urgencyMin'],
      ['urgencyMax=5', 'urgencyMax'],
      ['urgencyMin=3&urgencyMax=2', 'urgencyMax'],
      ['since=yesterday', 'since'],
      ['until=2026-13-01T00:00:00Z', 'until'],
      // Days the month does not have: Date.parse moves 2026-02-30 to March 2.
      ['since=2026-02-30T00:00:00Z', 'since'],
      ['until=2026-04-31T00:00:00Z', 'until'],
      ['since=2027-02-29T00:00:00Z', 'since'],
      ['since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z', 'until'],
      ['status=published,lost', 'status'],
      ['outcome=sent', 'outcome'],
      ['channel=pigeon', 'channel'],
      ['channel=email,', 'channel'],
      ['channel=', 'channel'],
      ['channel=EMAIL', 'channel'],
      ['after=forged', 'after'],
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['limit=1.5', 'limit'],
    ];
    for (const [qs, field] of cases) {
      const r = decode(qs);
      expect('error' in r ? r.error.field : 'accepted', qs).toBe(field);
    }
  });
});
