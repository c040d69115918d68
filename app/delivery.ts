import type { Channels } from '../adapters/channels/registry.js';
import type { RevokeDevice } from '../commands/revoke-device.js';
import { stalledSeconds } from './admin-ops.js';
import { startReactors, type PartOptions, type Reactors } from '../delivery/runner.js';
import { scaledUrgencyDelays } from '../domain/triage/urgency.js';
import { DEFAULT_RETRY_POLICY } from '../domain/triage/retry.js';
import type { Clock } from '../ports/clock.js';
import type { DeliveryReports, DeliveryStateStore } from '../ports/delivery-state.js';
import type { EventStore } from '../ports/eventstore.js';
import type { DeadLetter } from '../ports/follower.js';
import type { Logger } from '../ports/log.js';
import type { Presence } from '../ports/presence.js';
import type { OutboxStore } from '../ports/outbox.js';
import type { Config } from '../schema/config.js';
import { startOutboxErasure } from '../delivery/outbox-erasure.js';
import { startRoster } from '../delivery/roster.js';
import { shareLimits } from '../delivery/limits.js';
import type { Bus } from '../ports/bus.js';
import { logSharedByNodes, openDeliveryState } from './engines.js';
import type { Metrics } from '../api/metrics.js';

// Starts delivery (triage, dispatch, scheduler: delivery/) on this node, sending through the
// configured channels (the providers' SDKs, or the outbox without credentials), revoking
// devices through the node's own commands. Every node of role `all` or `reactors` runs it
// (app/reactors-node.ts): appends are guarded by expected revisions and sends by leased claims.
export interface Delivery {
  readonly reactors: Reactors;
  readonly reports: DeliveryReports;
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
    /** This node's outbox: erased with a user on UserErased (delivery/outbox-erasure.ts). */
    readonly outbox?: OutboxStore;
    /** The node's bus: throttles are shared with the other delivery processes it reaches (delivery/roster.ts). */
    readonly bus?: Bus;
    readonly revokeDevice: RevokeDevice;
    readonly clock: Clock;
    readonly log: Logger;
    /** Events triage or dispatch quarantined (counted per follower). */
    readonly onDeadLetters?: (dead: readonly DeadLetter[]) => void;
    /** Delivery's state, when the caller opened it (a reactors node watches it for snapshots); closed by stop(). */
    readonly state?: DeliveryStateStore;
    /** One part of delivery only (MSGXC_REACTORS_THREAD=split, app/reactors-thread/); default both. */
    readonly part?: PartOptions;
  },
): Delivery | undefined => {
  const t = config.triage;
  if (!t.enabled) return undefined;
  const { webpush, fcm, apns, email, sms, mqtt } = deps.channels;
  // MQTT is planned only when a broker is configured: the other channels record to the
  // outbox without credentials (a deployment sees what it would send), but a topic publish
  // per recipient of every message into the outbox would be noise nobody asked for.
  const state = deps.state ?? openDeliveryState(config);
  // Nodes sharing a log each run delivery: a throttle holds for all of them together, each
  // sending its share (a node with a log of its own is the only sender of its deliveries).
  // Any message may carry a throttle of its own (opts.throttle), so the roster runs whether or
  // not a channel is throttled: heartbeats only, nothing per send.
  // The folds part sends nothing: the throttles' roster and the outbox's erasure are the sends'.
  const sends = deps.part?.part !== 'folds';
  const roster =
    sends && deps.bus !== undefined && logSharedByNodes(config)
      ? startRoster({
          bus: deps.bus,
          node: config.nodeId,
          heartbeatMs: config.ws.presenceHeartbeatMs,
          now: () => deps.clock.now().getTime(),
        })
      : undefined;
  const reactors = startReactors({
    store: deps.store,
    state,
    presence: deps.presence,
    revokeDevice: deps.revokeDevice,
    clock: deps.clock,
    log: deps.log,
    channels: { webpush, fcm, apns, email, sms, ...(config.channels.mqtt !== undefined ? { mqtt } : {}) },
    node: config.stableNodeId,
    ...(deps.onDeadLetters === undefined ? {} : { onDeadLetters: deps.onDeadLetters }),
    ...deps.part,
    pollMs: t.pollMs,
    dispatch: {
      concurrency: t.concurrency,
      retry: { ...DEFAULT_RETRY_POLICY, ...t.retry },
      throttle: roster === undefined ? t.throttle : shareLimits(t.throttle, roster),
      campaigns: roster === undefined ? {} : { share: roster },
      ...(t.leaseMs !== undefined ? { leaseMs: t.leaseMs } : {}),
    },
    triage: {
      ...(t.timeScale !== 1 ? { urgency: scaledUrgencyDelays(t.timeScale) } : {}),
      ...(t.digestWindowMs !== undefined ? { digestWindowMs: t.digestWindowMs } : {}),
    },
  });
  const outbox = deps.outbox;
  const erasure =
    outbox === undefined || !sends
      ? undefined
      : startOutboxErasure({
          store: deps.store,
          outbox,
          now: () => deps.clock.now().toISOString(),
          log: deps.log,
        }).catch((e: unknown) => {
          deps.log.error({ err: e instanceof Error ? e.message : String(e) }, 'outbox erasure did not start');
          return undefined;
        });
  return {
    reactors,
    reports: reactors.reports,
    caughtUp: async (timeoutMs = 2000) => {
      await reactors.waitFor(await deps.store.head(), timeoutMs);
    },
    stop: async () => {
      await (await erasure)?.stop();
      await reactors.stop();
      await roster?.close();
      await state.close();
    },
  };
};

/** The delivery lag and in-flight gauges of GET /metrics, on every node that runs delivery. */
export const deliveryGauges = (metrics: Metrics, store: EventStore, delivery: Delivery): void => {
  const status = (name: string) => delivery.reactors.status().find((s) => s.name === name);
  metrics.gauge(
    'msgxc_delivery_lag_events',
    'Events the slower of triage and dispatch is behind the log head',
    async () => {
      const head = await store.head();
      return head - Math.min(status('triage')?.position ?? 0, status('dispatch')?.position ?? 0, head);
    },
  );
  // A reactor whose batch keeps failing (an engine refusing its append, a bug) plans or sends
  // nothing after it: the lag grows, and this says why, as msgxc_projection_stalled_seconds does
  // for the read models.
  metrics.gauge(
    'msgxc_delivery_stalled_seconds',
    'How long the longest-failing triage or dispatch batch has been retried (0: none is failing)',
    () => stalledSeconds(delivery.reactors.status(), new Date()),
  );
  // Grows and stays up when a provider hangs: its units wait in their channel's lane (delivery/lanes.ts).
  metrics.gauge(
    'msgxc_dispatch_in_flight',
    'Delivery units queued or being sent on this node',
    () => status('dispatch')?.inFlight ?? 0,
  );
};
