import { systemClock } from '../adapters/clock/clock.js';
import { createGuard } from '../api/guard.js';
import { createMetrics } from '../api/metrics.js';
import { errors } from '../api/errors.js';
import { mountProbes } from '../api/probes.js';
import { loadUws, type us_listen_socket } from '../api/uws.js';
import { createPresence } from '../api/ws/presence.js';
import { startCommands } from './command-side.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/log.js';
import type { Config } from '../schema/config.js';
import type { Bus } from '../ports/bus.js';
import type { EventStore } from '../ports/eventstore.js';
import type { DeadLetter } from '../ports/follower.js';
import type { PersonalData } from '../ports/keystore.js';
import type { OutboxStore } from '../ports/outbox.js';
import { countDeadLetters } from './admin-ops.js';
import type { DeliveryStateStore } from '../ports/delivery-state.js';
import { type Delivery, deliveryGauges, startDelivery } from './delivery.js';
import type { PartOptions } from '../delivery/runner.js';
import { openBus, openChannels, openLog } from './engines.js';
import { openSnapshottedState } from './reactors-snapshots.js';
import type { Broker } from './node.js';
import { makeDirs } from '../adapters/sqlite/dir.js';

const NO_SESSIONS: readonly [string, number][] = [];

// A node of role `reactors` (MSGXC_ROLE=reactors, `msgxc reactors`): the delivery process
// managers (triage, dispatch, scheduler: delivery/) on the shared log, without the HTTP API,
// the websocket server or the read models, so delivery scales apart from connections. Who is
// online comes from the API nodes' presence on the bus (this node joins it with no sessions of
// its own); a device a provider reports gone is revoked through the node's own command; sends
// are shared with the other reactor processes by the leased claims dispatch appends. It
// listens on MSGXC_PORT for probes only: /healthz, /readyz (the reactors' positions), /metrics.
export const startReactorsNode = async (config: Config, log: Logger, clock: Clock = systemClock): Promise<Broker> => {
  const { uws, native } = loadUws(config.allowUwsFallback);
  makeDirs(config.dataDir);
  const opened = await openLog(config, log);
  const store = opened.store;
  const metrics = createMetrics();
  const bus = await openBus(config, log);
  // A new node restores the stored snapshot of delivery's state and replays only the log after it.
  const snapshotted = await openSnapshottedState(config, log);
  const running = await startDeliveryProcess(config, {
    state: snapshotted.state,
    store,
    personal: opened.personal,
    bus,
    node: config.nodeId,
    clock,
    log,
    onDeadLetters: countDeadLetters(metrics),
    onBadPresence: () => {
      metrics.inc('msgxc_bus_bad_messages_total', { kind: 'presence' });
    },
  });
  const { delivery } = running;
  deliveryGauges(metrics, store, delivery);
  metrics.gauge('msgxc_log_head_position', 'Position of the newest event in the log', () => store.head());

  let ready = false;
  const app = uws.App();
  mountProbes(
    app,
    [
      { path: '/healthz', answer: () => Promise.resolve({ status: 200, body: { status: 'ok' } }) },
      {
        path: '/readyz',
        answer: async () =>
          ready
            ? {
                status: 200,
                body: {
                  status: 'ready',
                  role: 'reactors',
                  head: await store.head(),
                  reactors: delivery.reactors.status(),
                },
              }
            : errors.notReady('starting'),
      },
      {
        path: '/metrics',
        answer: async () => ({ status: 200, body: await metrics.render(), contentType: 'text/plain; version=0.0.4' }),
      },
    ],
    log,
  );
  const listenSocket = await new Promise<us_listen_socket>((resolve, reject) => {
    app.listen(config.host, config.port, (s) => {
      if (s === false) reject(new Error(`cannot listen on ${config.host}:${config.port}`));
      else resolve(s);
    });
  });
  ready = true;
  const port = uws.us_socket_local_port(listenSocket);
  log.info({ host: config.host, port, role: config.role, eventStore: config.eventStore }, 'msgxc reactors running');
  return {
    port,
    nativeUws: native,
    close: async () => {
      ready = false;
      await snapshotted.close();
      await running.stop();
      uws.us_listen_socket_close(listenSocket);
      await bus.close();
      await store.close();
    },
  };
};

/**
 * The delivery process managers with what they need beside the log and the bus: the channels
 * (and the outbox), the commands that revoke a device, and presence learned from the bus with
 * no sessions of its own. A reactors node runs it; so does an embedded node's reactors thread
 * (app/reactors-thread/worker.ts), over a bus bridged to its main thread.
 */
export const startDeliveryProcess = async (
  config: Config,
  deps: {
    /** Delivery's state, when the caller opened it (a reactors node watches it for snapshots). */
    readonly state?: DeliveryStateStore;
    readonly store: EventStore;
    readonly personal: PersonalData;
    readonly bus: Bus;
    /** Its name in presence: a node of its own on the bus. */
    readonly node: string;
    readonly clock: Clock;
    readonly log: Logger;
    readonly onDeadLetters: (dead: readonly DeadLetter[]) => void;
    readonly onBadPresence: () => void;
    /** One part of delivery only (an embedded node's MSGXC_REACTORS_THREAD=split); default both. */
    readonly part?: PartOptions;
  },
): Promise<{ readonly delivery: Delivery; readonly outbox: OutboxStore; stop(): Promise<void> }> => {
  const { store, bus, clock, log } = deps;
  const providers = openChannels(config, clock);
  log.info({ channels: providers.channels.providers }, 'channels');
  const { commands } = startCommands(config, store, deps.personal, clock);
  const presence = createPresence({
    bus,
    node: deps.node,
    heartbeatMs: config.ws.presenceHeartbeatMs,
    now: () => clock.now().getTime(),
    localCount: () => 0,
    localUsers: () => NO_SESSIONS[Symbol.iterator](),
    localUserCount: () => 0,
    guard: createGuard(log),
    onBadMessage: deps.onBadPresence,
  });
  // Our snapshot request is on the server before triage asks anyone's presence.
  await bus.flush();
  const delivery = startDelivery(config, {
    ...(deps.state === undefined ? {} : { state: deps.state }),
    store,
    presence,
    channels: providers.channels,
    outbox: providers.outbox,
    bus,
    revokeDevice: commands.revokeDevice,
    clock,
    log,
    onDeadLetters: deps.onDeadLetters,
    ...(deps.part === undefined ? {} : { part: deps.part }),
  });
  if (delivery === undefined) {
    await presence.close();
    await providers.close();
    throw new Error('a delivery process with the delivery reactors off (MSGXC_REACTORS=false)');
  }
  return {
    delivery,
    outbox: providers.outbox,
    stop: async () => {
      await delivery.stop();
      await presence.close();
      await providers.close();
    },
  };
};
