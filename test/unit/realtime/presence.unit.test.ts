import { afterEach, describe, expect, it } from 'vitest';
import { createInProcessBus, createInProcessNetwork } from '../../../adapters/bus/in-process.js';
import { createPresence, type Presence } from '../../../api/ws/presence.js';

// Two nodes' presence over one in-process network: deltas, snapshots for late joiners,
// expiry of a silent node, and `bye` on shutdown.
const node = (
  network: ReturnType<typeof createInProcessNetwork>,
  name: string,
  counts: Map<string, number>,
  heartbeatMs = 20,
): Presence =>
  createPresence({
    bus: createInProcessBus({ network }),
    node: name,
    heartbeatMs,
    flushMs: 5,
    localCount: (uid) => counts.get(uid) ?? 0,
    localUsers: () => counts.entries(),
    localUserCount: () => counts.size,
  });
// Waits for the state the bus messages lead to (they arrive asynchronously), not for a time.
const until = async (what: string, ok: () => boolean, ms = 5_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
};
const open: Presence[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.close();
});

describe('presence across nodes', () => {
  it('sums sessions on every node, and a node that joins late learns the others by snapshot', async () => {
    const net = createInProcessNetwork();
    const ca = new Map<string, number>();
    const a = node(net, 'a', ca);
    open.push(a);
    ca.set('u1', 2);
    a.changed('u1');
    const cb = new Map([
      ['u1', 1],
      ['u2', 1],
    ]);
    const b = node(net, 'b', cb);
    open.push(b);
    await until(
      'both nodes to count u1 on both',
      () => b.sessions('u1') === 3 && a.sessions('u1') === 3 && a.isOnline('u2'),
    );
    expect(b.sessions('u1')).toBe(3);
    expect(a.sessions('u1')).toBe(3);
    expect(a.isOnline('u2')).toBe(true);
    expect(a.nodes('u1').sort((x, y) => x.node.localeCompare(y.node))).toEqual([
      { node: 'a', sessions: 2 },
      { node: 'b', sessions: 1 },
    ]);
    cb.delete('u2');
    b.changed('u2');
    await until('u2 to go offline on a', () => !a.isOnline('u2'));
    expect(a.isOnline('u2')).toBe(false);
    expect(a.stats()).toEqual({ nodes: 2, users: 1 });
  });

  it('forgets a node that stops sending heartbeats, and one that says bye at once', async () => {
    const net = createInProcessNetwork();
    const a = node(net, 'a', new Map());
    open.push(a);
    const silentBus = createInProcessBus({ network: net });
    // A node that announces one user and then goes silent (crashed).
    silentBus.publish(
      'presence',
      'dead',
      JSON.stringify({ t: 'delta', node: 'dead', epoch: 'e1', seq: 1, users: [['ghost', 1]] }),
    );
    expect(a.isOnline('ghost')).toBe(true);
    const silentSince = Date.now();
    await until('the silent node to be forgotten', () => !a.isOnline('ghost'));
    // Not before three missed heartbeats of 20 ms.
    expect(Date.now() - silentSince).toBeGreaterThanOrEqual(55);
    const b = node(net, 'b', new Map([['u', 1]]));
    await until("the new node's user to show on a", () => a.isOnline('u'));
    await b.close();
    expect(a.isOnline('u')).toBe(false);
    await silentBus.close();
  });

  it("moves its version with every change of anyone's presence: here, a peer's delta, a peer leaving", async () => {
    const net = createInProcessNetwork();
    const ca = new Map<string, number>();
    const a = node(net, 'a', ca);
    const cb = new Map<string, number>();
    const b = node(net, 'b', cb);
    open.push(a);
    await until('a to know b', () => a.stats().nodes === 2);
    const v0 = a.version();
    ca.set('u1', 1);
    a.changed('u1');
    const v1 = a.version();
    expect(v1).toBeGreaterThan(v0);
    cb.set('u2', 1);
    b.changed('u2');
    await until('u2 online on a', () => a.isOnline('u2'));
    const v2 = a.version();
    expect(v2).toBeGreaterThan(v1);
    await b.close();
    await until('b gone from a', () => !a.isOnline('u2'));
    expect(a.version()).toBeGreaterThan(v2);
  });

  it('ignores malformed presence messages', () => {
    const net = createInProcessNetwork();
    let bad = 0;
    const a = createPresence({
      bus: createInProcessBus({ network: net }),
      node: 'a',
      heartbeatMs: 1000,
      localCount: () => 0,
      localUsers: () => new Map<string, number>().entries(),
      localUserCount: () => 0,
      onBadMessage: () => {
        bad += 1;
      },
    });
    open.push(a);
    const other = createInProcessBus({ network: net });
    other.publish('presence', 'x', '{"t":"delta"}');
    other.publish('presence', 'x', 'not json');
    expect(bad).toBe(2);
  });
});

describe('presence with flushMs 0 (an embedded node, for its reactors thread)', () => {
  it('sends a change on the next turn of the event loop, once for changes made together, not at the timer', async () => {
    const net = createInProcessNetwork();
    const counts = new Map<string, number>();
    // A heartbeat (and so the batch timer, at most the heartbeat) far beyond the test.
    const a = createPresence({
      bus: createInProcessBus({ network: net }),
      node: 'a',
      heartbeatMs: 60_000,
      flushMs: 0,
      localCount: (uid) => counts.get(uid) ?? 0,
      localUsers: () => counts.entries(),
      localUserCount: () => counts.size,
    });
    const b = node(net, 'b', new Map(), 60_000);
    open.push(a, b);
    const deltas: string[] = [];
    const watcher = createInProcessBus({ network: net });
    watcher.subscribe('presence', (_k, p) => {
      if (p.includes('"delta"')) deltas.push(p);
    });
    counts.set('u1', 1);
    a.changed('u1');
    counts.set('u2', 1);
    a.changed('u2');
    expect(b.isOnline('u1')).toBe(false);
    await new Promise((r) => setImmediate(r));
    expect(b.isOnline('u1') && b.isOnline('u2')).toBe(true);
    expect(deltas).toHaveLength(1);
    counts.delete('u1');
    a.changed('u1');
    await new Promise((r) => setImmediate(r));
    expect(b.isOnline('u1')).toBe(false);
    expect(deltas).toHaveLength(2);
    await watcher.close();
  });
});
