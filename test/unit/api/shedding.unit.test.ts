import { describe, expect, it } from 'vitest';
import { startEventLoopLag } from '../../../adapters/load/event-loop.js';
import { createShedder, isOverload } from '../../../api/shedding.js';

describe('load shedding', () => {
  it('admits up to the bound of writes in flight, counting from admission, and again after a release', () => {
    const shed = createShedder(
      { maxWritesInFlight: 2, maxLagMs: 100 },
      { appendsInFlight: () => 0, eventLoopLagMs: () => 0 },
    );
    const a = shed.admit();
    const b = shed.admit();
    expect([isOverload(a), isOverload(b)]).toEqual([false, false]);
    expect(shed.admit()).toEqual({ reason: 'queue', inFlight: 2, limit: 2 });
    if (isOverload(a)) throw new Error('unreachable');
    a.release();
    a.release(); // twice is once
    expect(shed.inProgress()).toBe(1);
    expect(isOverload(shed.admit())).toBe(false);
    expect(shed.peakInProgress()).toBe(2);
  });

  it('refuses while the log has as many appends waiting, whoever made them', () => {
    let waiting = 5;
    const shed = createShedder(
      { maxWritesInFlight: 5, maxLagMs: 100 },
      { appendsInFlight: () => waiting, eventLoopLagMs: () => 0 },
    );
    expect(shed.admit()).toEqual({ reason: 'queue', inFlight: 5, limit: 5 });
    waiting = 4;
    expect(isOverload(shed.admit())).toBe(false);
  });

  it('refuses while the event loop runs later than the bound', () => {
    let lag = 101;
    const shed = createShedder(
      { maxWritesInFlight: 5, maxLagMs: 100 },
      { appendsInFlight: () => 0, eventLoopLagMs: () => lag },
    );
    expect(shed.admit()).toEqual({ reason: 'lag', lagMs: 101, limit: 100 });
    lag = 100;
    expect(isOverload(shed.admit())).toBe(false);
  });
});

describe('the event-loop lag', () => {
  const busy = (ms: number): void => {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      /* a synchronous task holding the loop */
    }
  };
  const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

  it('is about 0 while idle, the median delay while every turn is long, and falls back once the load ends', async () => {
    const lag = startEventLoopLag(200, 5);
    try {
      await new Promise((r) => setTimeout(r, 450));
      expect(lag.lagMs()).toBeLessThan(15);
      // Every turn of the loop is a 40 ms task, for a whole window and more.
      for (const end = performance.now() + 500; performance.now() < end; ) {
        busy(40);
        await turn();
      }
      expect(lag.lagMs()).toBeGreaterThan(20);
      await new Promise((r) => setTimeout(r, 450));
      expect(lag.lagMs()).toBeLessThan(15);
    } finally {
      lag.stop();
    }
  });
});
