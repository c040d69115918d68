import { describe, expect, it } from 'vitest';
import { startSession, type LifecycleDeps } from '../../../api/ws/lifecycle.js';
import { Session, topics } from '../../../api/ws/session.js';
import type { InboxItem, MessageDetails } from '../../../ports/read-models.js';

// A session's reads (unseen, ?since= replay) and its live frames must cover each message once.
// The read models can run ahead of the node's live follower: a message appended after the
// session read the log head can be in the inbox before the follower has written its frame.
// That frame then must land in the session's buffer (deduplicated against the reads), not
// arrive on the topic after the session went live (a duplicate: seen once in CI, on the
// production stack, where Cassandra's projection beat the follower).
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

const item = (mid: string, at: string): InboxItem => ({
  mid,
  from: 'svc',
  msg: mid,
  opts: {},
  urgency: 2,
  at,
  seen: false,
  read: false,
});

const world = () => {
  // The log: m0 at 1 (what the client last saw), x at 2 (appended while the session connects).
  let head = 1;
  let livePos = 1;
  const waiting: { pos: number; resolve: () => void }[] = [];
  const socketFrames: Record<string, unknown>[] = [];
  const subscribed = new Set<string>();
  const ws = {
    cork: (f: () => void) => {
      f();
    },
    subscribe: (t: string) => subscribed.add(t),
    unsubscribe: (t: string) => subscribed.delete(t),
    send: (text: string) => {
      socketFrames.push(JSON.parse(text) as Record<string, unknown>);
      return 1;
    },
    end: () => {},
  };
  const s = new Session('sid1', 'gina', [], undefined, 'm0', { frames: 0, bytes: 0, at: 0 }, 0);
  s.ws = ws as never;
  const m0 = item('m0', '2026-12-06T10:00:00.000Z');
  const x = item('x', '2026-12-06T10:00:01.000Z');
  // The live follower writes x's frame: to the buffer while catching up, else to the topic.
  const followerWritesX = () => {
    const frame = JSON.stringify({ type: 'message', mid: 'x', from: 'svc', msg: 'x', opts: {}, urgency: 2 });
    if (s.state === 'catching-up') s.buffer?.push({ kind: 'frame', frame, mid: 'x' });
    else if (subscribed.has(topics.user('gina'))) ws.send(frame);
    livePos = 2;
    for (const w of waiting.splice(0)) if (w.pos <= livePos) w.resolve();
  };
  const deps: LifecycleDeps = {
    store: {
      head: () => Promise.resolve(head),
    } as never,
    live: {
      caughtUp: (pos) =>
        pos <= livePos ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ pos, resolve })),
    },
    reads: {
      message: (mid: string) =>
        Promise.resolve(mid === 'm0' ? ({ ...m0, position: 1 } as unknown as MessageDetails) : undefined),
      // The projection already has x (appended at 2 once the session had read head 1).
      inbox: () => {
        if (head === 1) setTimeout(followerWritesX, 20);
        head = 2;
        return Promise.resolve({ messages: [x, m0], next: null });
      },
    } as never,
    projections: { waitFor: () => Promise.resolve() } as never,
    memberships: { threadsOf: () => Promise.resolve([]) },
    commands: {} as never,
    recognise: () => undefined,
    registry: { pending: new Set() } as never,
    log: quiet,
    now: () => new Date('2026-12-06T10:00:02.000Z'),
    unseenLimit: 50,
    resumeMax: 1000,
  };
  return { s, deps, socketFrames };
};

describe('a session going live', () => {
  it('sends a message the read models had before the live follower exactly once', async () => {
    const { s, deps, socketFrames } = world();
    await startSession(s, deps);
    await new Promise((r) => setTimeout(r, 60));
    expect(s.state).toBe('live');
    const messages = socketFrames.filter((f) => f.type === 'message').map((f) => f.mid);
    // The replay has x once; x's live frame was held in the buffer and dropped as already sent.
    expect(messages).toEqual(['x']);
    expect(socketFrames.find((f) => f.type === 'resumed')).toMatchObject({ since: 'm0', count: 1 });
  });
});
