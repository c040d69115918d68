import { describe, expect, it } from 'vitest';
import { createInProcessBus, createInProcessNetwork } from '../../../adapters/bus/in-process.js';
import { MISSED_BEATS, startRoster } from '../../../delivery/roster.js';
import { createGate, partOf, shareLimits } from '../../../delivery/throttle.js';

// The delivery processes' roster (delivery/roster.ts) on the in-process bus standing for several
// nodes, with a clock the test moves; and a throttle gate at its share of a shared limit.
const BEAT = 40;

const cluster = () => {
  const network = createInProcessNetwork();
  let t = 1_000_000;
  const now = () => t;
  const join = (node: string) => startRoster({ bus: createInProcessBus({ network }), node, heartbeatMs: BEAT, now });
  return { join, advance: (ms: number) => (t += ms) };
};

describe('delivery roster', () => {
  it('is unknown for one beat interval, then counts the live processes; a bye or missed beats drop one', async () => {
    const c = cluster();
    const a = c.join('a');
    const b = c.join('b');
    expect(a.peers()).toBeUndefined();
    await Promise.all([a.known(), b.known()]);
    expect([a.peers(), b.peers()]).toEqual([2, 2]);
    const d = c.join('d'); // a newcomer is answered at once and counted by the others at once
    expect([a.peers(), b.peers()]).toEqual([3, 3]);
    await d.known();
    expect(d.peers()).toBe(3);
    await d.close();
    expect([a.peers(), b.peers()]).toEqual([2, 2]);
    // b stops beating (a crash): a counts it until MISSED_BEATS intervals have passed.
    const crashed = b;
    c.advance(MISSED_BEATS * BEAT + 1);
    expect(a.peers()).toBe(1);
    await Promise.all([a.close(), crashed.close()]);
  });

  it('a shared limit is floor(N / processes) a second for each (at least 1); nothing is granted while the count is unknown', async () => {
    let peers: number | undefined;
    let known: () => void = () => undefined;
    const share = { peers: () => peers, known: () => new Promise<void>((r) => (known = r)) };
    const limit = shareLimits({ email: { perSecond: 10 } }, share).email;
    if (limit === undefined) throw new Error('no limit');
    expect(partOf(limit)).toBeUndefined();
    for (const [n, each] of [
      [1, 10],
      [2, 5],
      [3, 3],
      [20, 1],
    ] as const) {
      peers = n;
      expect(partOf(limit)?.perSecond).toBe(each);
    }
    expect(partOf({ perSecond: 7 })?.perSecond).toBe(7); // not shared: the whole limit
    peers = undefined;
    const gate = createGate(limit, () => 0);
    const granted: number[] = [];
    void gate.acquire(1, 100).then((n) => granted.push(n));
    await new Promise((r) => setTimeout(r, 20));
    expect(granted).toEqual([]);
    peers = 2;
    known();
    await new Promise((r) => setTimeout(r, 0));
    expect(granted).toEqual([1]); // the fresh bucket's one token, now the count is known
  });
});
