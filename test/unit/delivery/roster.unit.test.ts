import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createInProcessBus, createInProcessNetwork } from '../../../adapters/bus/in-process.js';
import { JITTER_MS } from '../../../domain/throttle.js';
import { MISSED_BEATS, shareOf, startRoster } from '../../../delivery/roster.js';
import { createGate } from '../../../delivery/gate.js';
import { partOf, shareLimits } from '../../../delivery/limits.js';
import type { Bus } from '../../../ports/bus.js';

// The delivery processes' roster (delivery/roster.ts) on the in-process bus standing for several
// nodes, on vitest's fake clock and timers (beats and the ticker fire as time is advanced; a
// jump of the clock alone stands for a blocked event loop); and a throttle gate at its share.
const BEAT = 40;
/** What a newcomer or a deaf process waits: a beat interval plus a window of a second. */
const SETTLE = BEAT + 1000 + JITTER_MS;

const cluster = () => {
  const network = createInProcessNetwork();
  const interrupted = new Set<() => void>();
  const join = (node: string) => {
    const inner = createInProcessBus({ network });
    // The in-process bus is never interrupted; this one can be, as a NATS connection is.
    const bus: Bus = {
      ...inner,
      onInterrupted: (l) => {
        interrupted.add(l);
        return () => interrupted.delete(l);
      },
    };
    return { roster: startRoster({ bus, node, heartbeatMs: BEAT, now: Date.now }), bus };
  };
  return {
    join,
    interrupt: () => {
      for (const l of interrupted) l();
    },
  };
};

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('delivery roster', () => {
  it('waits a beat interval plus a window, then shares N among the live processes; a bye or missed beats drop one', async () => {
    const c = cluster();
    const { roster: a } = c.join('a');
    const b = c.join('b');
    expect(a.part(10)).toBeUndefined();
    vi.advanceTimersByTime(SETTLE - 1);
    expect(a.part(10)).toBeUndefined();
    vi.advanceTimersByTime(1);
    expect([a.part(10), b.roster.part(10)]).toEqual([5, 5]);
    const d = c.join('d').roster; // a newcomer is answered at once and counted by the others at once
    expect([a.part(10), b.roster.part(10)]).toEqual([4, 3]); // 10 = 4 + 3 + 3, the first in name order gets the remainder
    expect(d.part(10)).toBeUndefined();
    vi.advanceTimersByTime(SETTLE);
    expect(d.part(10)).toBe(3);
    await d.close();
    expect([a.part(10), b.roster.part(10)]).toEqual([5, 5]);
    // b stops beating without a bye (a crash): a counts it until MISSED_BEATS intervals have passed.
    await b.bus.close();
    vi.advanceTimersByTime((MISSED_BEATS - 1) * BEAT);
    expect(a.part(10)).toBe(5);
    vi.advanceTimersByTime(BEAT + 1);
    expect(a.part(10)).toBe(10);
    await Promise.all([a.close(), b.roster.close()]);
  });

  it('shares add up to N, and a view holding more processes than the live ones never gets more than its true share', () => {
    for (let n = 1; n <= 60; n += 1)
      for (let live = 1; live <= 12; live += 1) {
        const shares = Array.from({ length: live }, (_, rank) => shareOf(n, live, rank));
        // With more processes than N a second each still sends 1 (a documented limit).
        expect(shares.reduce((x, y) => x + y, 0)).toBe(Math.max(n, live));
        for (let extra = 1; live + extra <= n && extra <= 4; extra += 1)
          for (let rank = 0; rank < live; rank += 1)
            for (let ahead = 0; ahead <= extra; ahead += 1)
              expect(shareOf(n, live + extra, rank + ahead)).toBeLessThanOrEqual(shareOf(n, live, rank));
      }
  });

  it('a process whose loop was blocked past the expiry sends nothing until it has listened again, and never counts its silent peers as gone', async () => {
    const c = cluster();
    const a = c.join('a').roster;
    const b = c.join('b').roster;
    vi.advanceTimersByTime(SETTLE);
    expect(a.part(4)).toBe(2);
    // The clock jumps with no timer run: a blocked loop. Every peer's last beat looks too old
    // (their beats wait unread on the socket); counting them gone would send their shares.
    vi.setSystemTime(Date.now() + MISSED_BEATS * BEAT + 500);
    expect(a.part(4)).toBeUndefined();
    expect(b.part(4)).toBeUndefined();
    vi.advanceTimersByTime(SETTLE - 1);
    expect(a.part(4)).toBeUndefined();
    // Deaf from the first tick after the block (at most half a beat later), for SETTLE.
    vi.advanceTimersByTime(BEAT / 2 + 1);
    expect([a.part(4), b.part(4)]).toEqual([2, 2]);
    await Promise.all([a.close(), b.close()]);
  });

  it('after its bus connection was interrupted a process waits a beat interval plus a window', async () => {
    const c = cluster();
    const a = c.join('a').roster;
    vi.advanceTimersByTime(SETTLE);
    expect(a.part(4)).toBe(4);
    c.interrupt();
    expect(a.part(4)).toBeUndefined();
    const known = vi.fn();
    void a.known().then(known);
    await vi.advanceTimersByTimeAsync(SETTLE - 1);
    expect(known).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(known).toHaveBeenCalled();
    expect(a.part(4)).toBe(4);
    await a.close();
  });

  it('a shared limit is what the share says; nothing is granted while it is unknown', async () => {
    let parts: number | undefined;
    let known: () => void = () => undefined;
    const share = { part: () => parts, known: () => new Promise<void>((r) => (known = r)) };
    const limit = shareLimits({ email: { perSecond: 10 } }, share).email;
    if (limit === undefined) throw new Error('no limit');
    expect(partOf(limit)).toBeUndefined();
    parts = 3;
    expect(partOf(limit)?.perSecond).toBe(3);
    expect(partOf({ perSecond: 7 })?.perSecond).toBe(7); // not shared: the whole limit
    parts = undefined;
    const gate = createGate(limit, () => 0);
    const granted: number[] = [];
    void gate.acquire(1, 100).then((n) => granted.push(n));
    await vi.advanceTimersByTimeAsync(20);
    expect(granted).toEqual([]);
    parts = 2;
    known();
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toEqual([1]); // the fresh bucket's one token, now the share is known
  });
});
