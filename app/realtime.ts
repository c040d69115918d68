import type * as Uws from '@trufflesuite/uws-js-unofficial';
import type { ObservedEventStore } from '../ports/eventstore.js';
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
import { openBus } from './engines.js';
import { startRealtime, type Realtime } from '../api/ws/realtime.js';

// What the composition root calls: the bus chosen by configuration, and the realtime side on
// the same uWS app as the HTTP API. `close` ends the sessions, then leaves the bus.
export const attachRealtime = async (
  config: Config,
  parts: {
    readonly uws: typeof Uws;
    readonly app: TemplatedApp;
    readonly store: ObservedEventStore;
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
  },
): Promise<Realtime> => {
  const bus = await openBus(config, parts.log);
  // Memberships come from whichever read store is configured (SQLite or Cassandra).
  const realtime = startRealtime({
    ...parts,
    bus,
    node: config.nodeId,
    limits: config.ws,
    jsonMaxDepth: config.jsonMaxDepth,
    memberships: { threadsOf: (uid) => parts.reads.subscribedThreads(uid) },
  });
  // The bus subscriptions are in place on the server before the node takes any connection.
  await bus.flush();
  parts.log.info({ node: config.nodeId, bus: config.bus }, 'realtime ready');
  return {
    ...realtime,
    close: async () => {
      await realtime.close();
      await bus.close();
    },
  };
};
