import type { Channels } from '../adapters/channels/registry.js';
import { startReactors, type Reactors } from '../commands/reactors/runner.js';
import { scaledUrgencyDelays } from '../domain/triage/urgency.js';
import type { Clock } from '../ports/clock.js';
import type { EventStore } from '../ports/eventstore.js';
import type { Logger } from '../ports/log.js';
import type { Presence } from '../ports/presence.js';
import { reports, type Reports } from '../projections/deliveries/reports.js';
import type { Config } from '../schema/config.js';

// Starts the delivery reactors (triage, dispatch, scheduler) on this node, sending through
// the configured channels (the providers' SDKs, or the outbox without credentials).
// Every node runs them: appends are guarded by expected revisions and sends by leased claims.
export interface Delivery {
  readonly reactors: Reactors;
  readonly reports: Reports;
  /** Waits (at most `timeoutMs`) until triage and dispatch have folded the log up to its head. */
  caughtUp(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export const startDelivery = (
  config: Config,
  deps: {
    readonly store: EventStore;
    readonly presence: Presence;
    readonly channels: Channels;
    readonly clock: Clock;
    readonly log: Logger;
  },
): Delivery | undefined => {
  const t = config.triage;
  if (!t.enabled) return undefined;
  const { webpush, fcm, apns, email, sms } = deps.channels;
  const reactors = startReactors({
    store: deps.store,
    dataDir: config.dataDir,
    presence: deps.presence,
    clock: deps.clock,
    log: deps.log,
    channels: { webpush, fcm, apns, email, sms },
    node: config.stableNodeId,
    pollMs: t.pollMs,
    triage: {
      ...(t.timeScale !== 1 ? { urgency: scaledUrgencyDelays(t.timeScale) } : {}),
      ...(t.digestWindowMs !== undefined ? { digestWindowMs: t.digestWindowMs } : {}),
    },
  });
  return {
    reactors,
    reports: reports(reactors.db),
    caughtUp: async (timeoutMs = 2000) => {
      await reactors.waitFor(await deps.store.head(), timeoutMs);
    },
    stop: () => reactors.stop(),
  };
};
