import { describe, expect, it } from 'vitest';
import { stalledSeconds } from '../../../app/admin-ops.js';

// msgxc_projection_stalled_seconds: how long the longest-failing projection batch has been
// retried, for an alert that fires when a projection stops moving for good.
describe('stalledSeconds', () => {
  const now = new Date('2026-01-01T00:10:00.000Z');
  it('is 0 when no projection is failing', () => {
    expect(stalledSeconds([{ name: 'reads', position: 5 }], now)).toBe(0);
    expect(stalledSeconds([], now)).toBe(0);
  });
  it('is the age of the oldest stall among the projections', () => {
    const status = [
      { name: 'reads', position: 5, stalled: { position: 5, since: '2026-01-01T00:09:30.000Z', attempts: 4 } },
      { name: 'search', position: 9, stalled: { position: 9, since: '2026-01-01T00:00:00.000Z', attempts: 40 } },
      { name: 'segments', position: 11 },
    ];
    expect(stalledSeconds(status, now)).toBe(600);
  });
});
