import { createFollower, type FollowerLog } from '../follower/follower.js';
import { createWaiters } from '../follower/waiters.js';
import type { EventStore } from '../ports/eventstore.js';
import type { CheckpointStore } from '../ports/follower.js';
import type { LiveFeed, LiveSink } from '../ports/live.js';
import { liveHandler } from './live-frames.js';
import type { LiveReads } from './live-reads.js';

// Realtime live delivery from the one log follower: every node follows the log and writes the
// frames of what it reads to its sink (app/realtime.ts chooses: this node's sessions when the
// log is shared by every node, the bus when the log is this node's own). The follower is woken
// at once by an append on this node (the store's commit signal) and by peers' appends through
// the log's own wake-up (JetStream's wake subject, EventStoreDB's subscription).
//
// It starts at the log head: a live push is only for the sessions connected now; older frames
// come from the resume path (api/ws/catch-up.ts). Its checkpoint is in memory for the same
// reason (nothing is replayed after a restart). What it quarantines (an event of its types
// that does not decode) the read models' followers quarantine durably too (they decode every
// type), so its dead letters are logged, not listed.
export const LIVE_FOLLOWER = 'realtime';

export interface LiveOptions {
  readonly store: Pick<EventStore, 'subscribeAll' | 'head'>;
  readonly sink: LiveSink;
  readonly reads: LiveReads;
  readonly checkpoints: CheckpointStore;
  /** Stamps dead letters. */
  readonly now: () => string;
  readonly log: FollowerLog;
}

export interface Live extends LiveFeed {
  position(): number;
  stop(): Promise<void>;
}

export const startLive = async (o: LiveOptions): Promise<Live> => {
  const from = await o.store.head();
  const waiters = createWaiters();
  let stopped = false;
  const follower = createFollower({
    name: LIVE_FOLLOWER,
    store: o.store,
    from,
    handler: liveHandler(o.sink, o.reads),
    checkpoints: o.checkpoints,
    now: o.now,
    log: o.log,
    onPosition: (p) => {
      waiters.notify(p);
    },
  });
  follower.start();
  return {
    position: () => follower.position(),
    // A session waits for it, but never fails for it: after `ms` it goes live anyway.
    caughtUp: (position, ms) =>
      stopped ? Promise.resolve() : waiters.wait(position, () => follower.position(), ms).catch(() => undefined),
    stop: async () => {
      stopped = true;
      await follower.stop();
      waiters.notify(Number.POSITIVE_INFINITY);
    },
  };
};
