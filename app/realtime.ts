import { audienceParts } from '../commands/audience-parts.js';
import type * as Uws from '@trufflesuite/uws-js-unofficial';
import { createMemoryCheckpoints } from '../adapters/checkpoint/memory.js';
import type { EventStore } from '../ports/eventstore.js';
import type { Commands } from '../commands/types.js';
import type { ReadModels } from '../ports/read-models.js';
import type { ProjectionRunner } from '../ports/projections.js';
import type { Config } from '../schema/config.js';
import type { Actor } from '../schema/metadata.js';
import type { Verifier } from '../api/auth.js';
import type { Logger } from '../ports/log.js';
import type { Metrics } from '../api/metrics.js';
import type { TemplatedApp } from '../api/uws.js';
import type { RequestLimits } from '../api/request-limits.js';
import { startLive, type Live } from '../delivery/live.js';
import type { LiveFeed } from '../ports/live.js';
import { messageLiveness } from '../delivery/live-reads.js';
import type { Bus } from '../ports/bus.js';
import type { InProcessNetwork } from '../adapters/bus/in-process.js';
import { logSharedByNodes, openBus } from './engines.js';
import { startRealtime, type Realtime } from '../api/ws/realtime.js';
import type { LatencyTrace } from './trace.js';

// What the composition root calls: the bus chosen by configuration, the realtime side on the
// same uWS app as the HTTP API, and the live follower (delivery/live.ts) that feeds it. When
// every node follows the log (JetStream, EventStoreDB) each node's follower writes to its own
// sessions and frames do not cross the bus; when the log is this node's own (embedded), the
// follower writes to the bus, which carries the frames to every node's sessions (its own too).
// `close` stops the follower, ends the sessions, then leaves the bus.
export const attachRealtime = async (
  config: Config,
  parts: {
    readonly uws: typeof Uws;
    readonly app: TemplatedApp;
    readonly store: EventStore;
    readonly reads: ReadModels;
    readonly projections: ProjectionRunner;
    readonly commands: Commands;
    readonly recognise: (actor: Actor) => Promise<void> | undefined;
    readonly verifier: Verifier;
    readonly metrics: Metrics;
    readonly log: Logger;
    readonly now: () => Date;
    readonly ready: () => boolean;
    readonly requestLimits?: RequestLimits;
    readonly trace?: LatencyTrace;
    /** The in-process bus's network, when another thread joins it (app/reactors-thread/). */
    readonly network?: InProcessNetwork;
    /** Presence's flush interval (0: at once, for the reactors' thread). */
    readonly presenceFlushMs?: number;
  },
): Promise<Realtime & { readonly bus: Bus; readonly live: LiveFeed }> => {
  const bus = await openBus(config, parts.log, parts.network);
  // Sessions open only once the node listens, after the follower below has started.
  const started: { live?: Live } = {};
  // Memberships come from whichever read store is configured (SQLite or Cassandra).
  const realtime = startRealtime({
    ...parts,
    bus,
    live: { caughtUp: (position, ms) => started.live?.caughtUp(position, ms) ?? Promise.resolve() },
    node: config.nodeId,
    limits: config.ws,
    jsonMaxDepth: config.jsonMaxDepth,
    memberships: { threadsOf: (uid) => parts.reads.subscribedThreads(uid) },
  });
  const sink = logSharedByNodes(config) ? realtime.local : bus;
  const live = await startLive({
    store: parts.store,
    sink: parts.trace === undefined ? sink : parts.trace.sink(sink),
    reads: messageLiveness(parts.commands, audienceParts(parts.store)),
    checkpoints: createMemoryCheckpoints(),
    now: () => parts.now().toISOString(),
    log: parts.log,
  });
  // The bus subscriptions are in place on the server before the node takes any connection.
  await bus.flush();
  parts.log.info({ node: config.nodeId, bus: config.bus }, 'realtime ready');
  started.live = live;
  return {
    ...realtime,
    /** The node's bus (delivery's roster beats on it, delivery/roster.ts). */
    bus,
    /** The live follower's progress (the HTTP worker threads' sessions wait on it too, app/http-threads/). */
    live,
    close: async () => {
      await live.stop();
      await realtime.close();
      await bus.close();
    },
  };
};
