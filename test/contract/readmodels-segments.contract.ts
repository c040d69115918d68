import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../schema/events.js';
import type { MessageId, UserId } from '../../schema/ids.js';
import type { SegmentQuery } from '../../schema/segment-query.js';
import type { H } from './readmodels.contract.js';

// segments: the saved segments (SegmentDefined) listed by id, on every read store; a segment
// recorded twice (a redelivery, a replay) is one entry, as first recorded.
const defined = (id: string, name: string, query: SegmentQuery, by = 'root'): DomainEvent => ({
  type: 'SegmentDefined',
  data: { id: id as MessageId, name, query, by: by as UserId },
});
const ID = (n: number): string => `01a24af1-a2db-7000-b22b-${String(n).padStart(12, '0')}`;

export const segmentCases = (h: H): void => {
  describe('segments', () => {
    it('lists the saved segments by id, with their name, query and admin, a page at a time', async () => {
      const beta = { all: [{ tag: 'beta' }, { not: { channel: 'sms' } }] } as const;
      await h().put(
        defined(ID(3), 'pro', { attribute: 'plan', eq: 'pro' }, 'ana'),
        defined(ID(1), 'beta', beta),
        defined(ID(2), 'recent', { lastSeen: { after: '2026-01-01T00:00:00.000Z' } }),
      );
      const all = await h().models.segments({ limit: 10 });
      expect(all.map((s) => [s.id, s.name, s.by])).toEqual([
        [ID(1), 'beta', 'root'],
        [ID(2), 'recent', 'root'],
        [ID(3), 'pro', 'ana'],
      ]);
      expect(all[0]?.query).toEqual(beta);
      expect(all.every((s) => !Number.isNaN(Date.parse(s.definedAt)))).toBe(true);
      const first = await h().models.segments({ limit: 2 });
      expect(first.map((s) => s.id)).toEqual([ID(1), ID(2)]);
      const rest = await h().models.segments({ after: ID(2), limit: 2 });
      expect(rest.map((s) => s.id)).toEqual([ID(3)]);
      expect(await h().models.segments({ after: ID(3), limit: 2 })).toEqual([]);
    });

    it('a segment recorded again is one entry, as first recorded', async () => {
      await h().put(defined(ID(7), 'first', { tag: 'a' }));
      await h().put(defined(ID(7), 'again', { tag: 'b' }));
      const got = await h().models.segments({ limit: 10 });
      expect(got.map((s) => [s.id, s.name, s.query])).toEqual([[ID(7), 'first', { tag: 'a' }]]);
    });
  });
};
