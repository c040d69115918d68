import type { EventToAppend } from '../../../ports/eventstore.js';

// Event n of a test log: the same shape in every audit test that only needs events to chain.
export const numberedEvent = (n: number): EventToAppend => ({
  type: 'E',
  data: { n },
  metadata: {
    eventId: `e-${String(n)}`,
    occurredAt: '2026-01-01T00:00:00.000Z',
    actor: { uid: 'u', roles: [] },
    correlationId: 'c',
    causationId: 'c',
  },
});
