import type { Channels } from '../adapters/channels/registry.js';
import type { Clock } from '../ports/clock.js';
import type { EventStore } from '../ports/eventstore.js';
import { startReactors, type Reactors } from '../commands/reactors/runner.js';
import type { Presence } from '../ports/presence.js';
import { DEFAULT_URGENCY_TABLE } from '../domain/triage/urgency.js';
import { reports, type Reports } from '../projections/deliveries/reports.js';
import type { Config } from '../schema/config.js';
import type { Urgency } from '../schema/message.js';
import type { Logger } from './log.js';

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

const LEVELS: readonly Urgency[] = [1, 2, 3, 4];

/** The urgency table's delays times `scale` (1 = the documented defaults). */
const scaled = (scale: number) =>
  Object.fromEntries(
    LEVELS.map((u) => {
      const p = DEFAULT_URGENCY_TABLE[u];
      return [
        u,
        {
          pushDelayMs: Math.round(p.pushDelayMs * scale),
          nearlineDelayMs: Math.round(p.nearlineDelayMs * scale),
          nearlineStepMs: Math.round(p.nearlineStepMs * scale),
        },
      ];
    }),
  );

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
      ...(t.timeScale !== 1 ? { urgency: scaled(t.timeScale) } : {}),
      ...(t.digestWindowMs !== undefined ? { digestWindowMs: t.digestWindowMs } : {}),
    },
  });
  const caughtUp = async (timeoutMs = 2000): Promise<void> => {
    const head = await deps.store.head();
    const until = Date.now() + timeoutMs;
    const behind = (): boolean => reactors.status().some((r) => r.position !== undefined && r.position < head);
    while (behind() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  };
  return { reactors, reports: reports(reactors.db), caughtUp, stop: () => reactors.stop() };
};
