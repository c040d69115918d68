import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { createFanout } from '../../../api/ws/fanout.js';
import { startSession, type LifecycleDeps } from '../../../api/ws/lifecycle.js';
import { handleFrame, type ProtocolDeps } from '../../../api/ws/protocol.js';
import { createRegistry } from '../../../api/ws/registry.js';
import { Session, topics } from '../../../api/ws/session.js';

// A client may subscribe or unsubscribe before its session went live (the frames are handled
// at once; the session is still reading its threads and unseen snapshot). The change must land
// on the threads it then reads, in order with the bus, and be answered after `unseen`: acting
// on the socket at once put it on a topic ahead of its snapshot (a live frame before `unseen`,
// then the same frame again from the buffer), and an unsubscribe was undone when the threads
// read before it went live re-subscribed the session, which kept receiving the thread it left.
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

const world = () => {
  const frames: Record<string, unknown>[] = [];
  const subscribed = new Set<string>();
  const ws = {
    cork: (f: () => void) => {
      f();
    },
    subscribe: (t: string) => subscribed.add(t),
    unsubscribe: (t: string) => subscribed.delete(t),
    send: (text: string) => {
      frames.push(JSON.parse(text) as Record<string, unknown>);
      return 1;
    },
    publish: () => true,
    getBufferedAmount: () => 0,
    end: () => {},
  };
  const registry = createRegistry();
  const fanout = createFanout({
    app: { publish: () => true } as never,
    bus: { subscribe: () => ({ close: () => Promise.resolve() }) } as never,
    registry,
    onBadEnvelope: () => {},
    maxBackpressure: 1 << 20,
  });
  const s = new Session('sid1', 'hal', [], undefined, undefined, { frames: 0, bytes: 0, at: 0 }, 0);
  s.ws = ws as never;
  registry.add(s);
  let release: (tids: string[]) => void = () => {};
  const threadsRead = new Promise<string[]>((r) => {
    release = r;
  });
  const deps: LifecycleDeps = {
    store: { head: () => Promise.resolve(1) } as never,
    live: { caughtUp: () => Promise.resolve() },
    reads: { inbox: () => Promise.resolve({ messages: [], next: null }) } as never,
    projections: { waitFor: () => Promise.resolve() } as never,
    memberships: { threadsOf: () => threadsRead },
    commands: {} as never,
    recognise: () => undefined,
    registry,
    log: quiet,
    now: () => new Date('2026-12-06T10:00:02.000Z'),
    unseenLimit: 50,
    resumeMax: 1000,
  };
  // The commands succeed (their events are in the log): what follows is the session's part.
  const committed = () => Promise.resolve(E.right({ position: 2 }));
  const protocol: ProtocolDeps = {
    commands: { subscribe: committed, unsubscribe: committed } as never,
    reads: {} as never,
    fanout,
    now: () => new Date('2026-12-06T10:00:02.000Z'),
    reauth: () => Promise.resolve(),
    unseenLimit: 50,
    consistent: () => Promise.resolve(),
  };
  return { s, fanout, deps, protocol, frames, subscribed, release };
};

describe("a session's own subscription changes while it catches up", () => {
  it('are applied to the threads it reads and answered after unseen', async () => {
    const { s, deps, protocol, frames, subscribed, release } = world();
    const going = startSession(s, deps);
    await new Promise((r) => setTimeout(r, 10));
    expect(s.state).toBe('catching-up');
    // Both commands committed: hal left `old` (still in the threads read) and joined `new`.
    await handleFrame(s, { type: 'unsubscribe', tid: 'old', id: 'u1' } as never, protocol);
    await handleFrame(s, { type: 'subscribe', tid: 'new', id: 's1' } as never, protocol);
    expect(subscribed.has(topics.thread('new'))).toBe(false);
    expect(frames).toEqual([]);
    release(['old']);
    await going;
    expect(s.state).toBe('live');
    expect(frames.map((f) => f.type)).toEqual(['unseen', 'unsubscribed', 'subscribed']);
    expect(frames[1]).toEqual({ type: 'unsubscribed', tid: 'old', id: 'u1' });
    expect(frames[2]).toEqual({ type: 'subscribed', tid: 'new', id: 's1' });
    expect([...s.threads]).toEqual(['new']);
    expect(subscribed.has(topics.thread('old'))).toBe(false);
    expect(subscribed.has(topics.thread('new'))).toBe(true);
  });

  it('are answered at once when live, also when nothing changes', () => {
    const { s, fanout, frames, subscribed } = world();
    s.state = 'live';
    fanout.changed(s, 'join', 't', 1);
    fanout.changed(s, 'join', 't', 2);
    fanout.changed(s, 'leave', 't', 3);
    fanout.changed(s, 'leave', 't', 4);
    expect(frames).toEqual([
      { type: 'subscribed', tid: 't', id: 1 },
      { type: 'subscribed', tid: 't', id: 2 },
      { type: 'unsubscribed', tid: 't', id: 3 },
      { type: 'unsubscribed', tid: 't', id: 4 },
    ]);
    expect(subscribed.size).toBe(0);
  });
});
