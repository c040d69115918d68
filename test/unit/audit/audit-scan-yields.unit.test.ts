import { describe, expect, it } from 'vitest';
import { auditLog } from '../../../adapters/eventstore/audit-log.js';
import { createMemoryEventStore } from '../../../adapters/eventstore/memory.js';
import { numberedEvent } from './numbered-event.js';

// A filtered scan reads up to 10,000 events in pages; the embedded engines answer a page
// synchronously underneath its promise, so the scan must give the event loop a turn between
// pages, or one auditor's query holds every other request for its whole length.
describe('the auditors scan', () => {
  it('lets the event loop run between pages', async () => {
    const store = createMemoryEventStore();
    for (let i = 0; i < 30; i++)
      await store.append(
        `s-${String(i)}`,
        Array.from({ length: 200 }, (_, j) => numberedEvent(i * 200 + j)),
        'any',
      );
    // A turn of the event loop is counted by an immediate that queues itself again (timers
    // would depend on how many milliseconds the pages took).
    let ticks = 0;
    let counting = true;
    const tick = (): void => {
      ticks += 1;
      if (counting) setImmediate(tick);
    };
    setImmediate(tick);
    const page = await auditLog(store).scan({ filter: { type: ['Absent'] }, after: 0, limit: 10 });
    counting = false;
    expect(page.events).toEqual([]);
    expect(page.next).toBe(null);
    // 6,000 events are six pages: a turn between each two (none without the yields).
    expect(ticks).toBeGreaterThanOrEqual(5);
    await store.close();
  });
});
