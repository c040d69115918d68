import { randomUUID } from 'node:crypto';
import { systemClock } from '../adapters/clock/clock.js';
import { countingAppends } from '../adapters/eventstore/in-flight.js';
import { allRoutes } from '../api/app.js';
import { createGuard, thrownText } from '../api/guard.js';
import { mountFallback, mountRoute } from '../api/http.js';
import { mountPreflight } from '../api/preflight.js';
import { createIdempotency } from '../api/idempotency.js';
import { createMetrics } from '../api/metrics.js';
import { loadUws, type us_listen_socket } from '../api/uws.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/log.js';
import { combineRunners } from '../projections/combined.js';
import type { Config } from '../schema/config.js';
import { DEAD_LETTERS_METRIC, countDeadLetters, createAdminOps, stalledSeconds } from './admin-ops.js';
import { deliveryGauges, startDelivery } from './delivery.js';
import { createInProcessNetwork } from '../adapters/bus/in-process.js';
import {
  eventsFile,
  openChannels,
  openIdempotencyStore,
  openLog,
  openOutbox,
  openReadModels,
  openSearchProjection,
} from './engines.js';
import { startHttpThreads, type HttpThreads } from './http-threads/client.js';
import { startReactorsThread } from './reactors-thread/client.js';
import { openSnapshottedState } from './reactors-snapshots.js';
import { ADMIN_UI_DIR, PUSH_UI_DIR } from './paths.js';
import { attachRealtime } from './realtime.js';
import { followingAfterFanout } from './after-fanout.js';
import { createLatencyTrace } from './trace.js';
import { startCommandSide } from './command-side.js';
import { makeDirs } from '../adapters/sqlite/dir.js';

export interface Broker {
  readonly port: number;
  readonly nativeUws: boolean;
  /** The extra HTTP threads (MSGXC_HTTP_THREADS above 1). */
  readonly httpThreads?: Pick<HttpThreads, 'crash'>;
  close(): Promise<void>;
}

// The composition of one node: the engines app/engines.ts chooses from the configuration,
// the command side, the projections, realtime and delivery, and the HTTP routes over them.
export const startBroker = async (config: Config, log: Logger, clock: Clock = systemClock): Promise<Broker> => {
  const { uws, native } = loadUws(config.allowUwsFallback);
  if (!native)
    log.warn('uWebSockets.js native binary not loaded: running on the slow JS fallback (MSGXC_ALLOW_UWS_FALLBACK)');
  makeDirs(config.dataDir);
  const opened = await openLog(config, log);
  const sqlite = opened.sqlite;
  // A debug aid (MSGXC_TRACE_LATENCY): each published message's stages, one line each on stderr.
  const trace = config.traceLatency ? createLatencyTrace((line) => process.stderr.write(line)) : undefined;
  // Counted: the appends waiting for the log are one measure of the node's load (app/limits.ts).
  const store = countingAppends(
    trace === undefined
      ? opened.store
      : trace.store(opened.store, sqlite === undefined ? undefined : (l) => sqlite.onCommit(l)),
  );
  const metrics = createMetrics();
  // Undecodable events the projections quarantined (issue 9): counted per follower, listed by the admin route.
  const quarantined = countDeadLetters(metrics);
  // The extra HTTP threads (MSGXC_HTTP_THREADS) switch to a promoted read-model generation with this thread.
  const promoted: { to?: (file: string) => void } = {};
  const reads = await openReadModels(config, { ...opened, store }, log, clock, quarantined, (file) => {
    promoted.to?.(file);
  });
  const search = await openSearchProjection(config, { ...opened, store }, log, quarantined);
  // Reads wait only for the read models; admin, metrics and rebuilds see every projection.
  const projections = combineRunners([reads.runner, search.runner]);
  for (const p of projections.status()) metrics.inc(DEAD_LETTERS_METRIC, { follower: p.name }, 0);
  const read = { models: reads.value, runner: reads.runner };
  const idemStore = await openIdempotencyStore(config);
  // With the SQLite log, delivery runs in a worker thread (MSGXC_REACTORS_THREAD=true):
  // it opens delivery's state and the channels there; this thread keeps only the outbox, to list it.
  const reactorsThread =
    config.triage.enabled &&
    config.triage.thread &&
    config.bus === 'inprocess' &&
    sqlite !== undefined &&
    opened.keysFile !== undefined &&
    clock === systemClock;
  const providers = reactorsThread ? undefined : openChannels(config, clock);
  const outbox = providers?.outbox ?? openOutbox(config);
  if (providers !== undefined) log.info({ channels: providers.channels.providers }, 'channels');
  const { ids, commands, recognise, limits, verifier } = startCommandSide(
    config,
    store,
    opened.personal,
    clock,
    metrics,
  );

  let ready = false;
  const deps = {
    commands,
    reads: read.models,
    projections: read.runner,
    store,
    audit: opened.audit,
    search: search.value,
    searchRunner: search.runner,
    metrics,
    ready: () => ready,
    outbox,
    ...(ADMIN_UI_DIR !== undefined ? { adminUiDir: ADMIN_UI_DIR } : {}),
    ...(PUSH_UI_DIR !== undefined ? { pushUiDir: PUSH_UI_DIR } : {}),
    ...(config.channels.webpush !== undefined ? { vapidPublicKey: config.channels.webpush.publicKey } : {}),
    ...(config.compat.receiptSecret !== undefined ? { receiptKey: config.compat.receiptSecret } : {}),
  };
  if (sqlite !== undefined) {
    // Appends per commit show whether group commit is grouping (one fsync per commit).
    metrics.gauge(
      'msgxc_eventstore_commits_total',
      'Transactions committed by the embedded log',
      () => sqlite.stats().commits,
    );
    metrics.gauge(
      'msgxc_eventstore_appends_total',
      'Appends answered by the embedded log',
      () => sqlite.stats().appends,
    );
  }
  metrics.gauge('msgxc_log_head_position', 'Position of the newest event in the log', () => store.head());
  metrics.gauge('msgxc_projection_lag_events', 'Events the slowest projection is behind the log head', async () => {
    const head = await store.head();
    const slowest = Math.min(...projections.status().map((s) => s.position), head);
    return head - slowest;
  });
  metrics.gauge(
    'msgxc_projection_stalled_seconds',
    'How long the longest-failing projection batch has been retried (0: none is failing)',
    () => stalledSeconds(projections.status(), clock.now()),
  );

  const app = uws.App();
  // Extra threads serving HTTP and websockets on this node's port (app/http-threads/).
  const httpThreads = config.httpThreads > 1 && config.bus === 'inprocess' && sqlite !== undefined;
  const network = reactorsThread || httpThreads ? createInProcessNetwork() : undefined;
  const realtime = await attachRealtime(config, {
    uws,
    app,
    store,
    reads: read.models,
    projections: read.runner,
    commands,
    recognise,
    verifier,
    metrics,
    log,
    now: () => clock.now(),
    ready: () => ready,
    requestLimits: limits.requestLimits,
    ...(trace === undefined ? {} : { trace }),
    // The reactors' thread learns presence over the bus: a change goes out at once, not batched.
    ...(network === undefined ? {} : { network }),
    ...(reactorsThread ? { presenceFlushMs: 0 } : {}),
  });
  // Delivery: triage, escalation and dispatch through the channels, using realtime presence;
  // a device a provider reports gone is revoked through this node's commands. In its own
  // thread (app/reactors-thread/) with the SQLite log, else on this one.
  // Reactors on this thread keep snapshots of their state where a new node restores them (on the
  // JetStream log), as a reactors node does: a new node replays only the log's tail.
  const snapshotted =
    config.triage.enabled && providers !== undefined && !(network !== undefined && sqlite !== undefined)
      ? await openSnapshottedState(config, log)
      : undefined;
  const delivery =
    network !== undefined && sqlite !== undefined
      ? await startReactorsThread(config, {
          store,
          sqlite,
          eventsFile: eventsFile(config),
          keysFile: opened.keysFile,
          network,
          log,
          onDeadLetters: quarantined,
        })
      : providers === undefined
        ? undefined
        : startDelivery(config, {
            // After the fan-out of the same commit (app/after-fanout.ts).
            store: followingAfterFanout(store),
            presence: realtime.presence,
            channels: providers.channels,
            outbox,
            bus: realtime.bus,
            revokeDevice: commands.revokeDevice,
            clock,
            log,
            onDeadLetters: quarantined,
            ...(snapshotted === undefined ? {} : { state: snapshotted.state }),
          });
  if (delivery !== undefined) deliveryGauges(metrics, store, delivery);
  // Dead letters listed for operators: the projections' and delivery's (triage, dispatch).
  const admin = createAdminOps({
    store,
    runner: projections,
    reads: read.models,
    metrics,
    log,
    now: () => clock.now(),
    ...(delivery !== undefined ? { delivery: delivery.reactors } : {}),
  });
  const routes = allRoutes(
    {
      ...deps,
      admin,
      ...(delivery
        ? {
            reports: delivery.reports,
            reportsCaughtUp: () => delivery.caughtUp(),
            reactors: () => delivery.reactors.status(),
          }
        : {}),
    },
    { presence: realtime.presence },
  );
  const httpDeps = {
    verifier,
    metrics,
    log,
    bodyLimit: config.bodyLimit,
    jsonMaxDepth: config.jsonMaxDepth,
    // Another node's reservation without an answer is left alone while its command may still
    // be running: the log retries an append for up to 30 s (adapters/eventstore), plus margin.
    idempotency: createIdempotency(idemStore, { owner: `${config.nodeId}/${randomUUID()}`, leaseMs: 35_000 }),
    newMessageId: () => ids.messageId(),
    now: () => clock.now(),
    onActor: recognise,
    limits: limits.requestLimits,
    cors: config.compat.cors,
    ...(trace === undefined ? {} : { trace }),
  };
  for (const r of routes) mountRoute(app, r, httpDeps);
  if (config.compat.cors.kind !== 'none') mountPreflight(app, routes, config.compat.cors, metrics);
  mountFallback(app, routes, { metrics, log });

  projections.start();
  const expiry = setInterval(
    createGuard(log)('idempotency expiry', () => {
      idemStore.expire(clock.now().getTime() - config.idempotencyTtlSec * 1000).catch((e: unknown) => {
        log.warn({ err: thrownText(e) }, 'expiring idempotency records failed');
      });
    }),
    Math.min(3600, Math.ceil(config.idempotencyTtlSec / 4)) * 1000,
  );
  expiry.unref();

  const listen = (at: number): Promise<us_listen_socket> =>
    new Promise<us_listen_socket>((resolve, reject) => {
      app.listen(config.host, at, (s) => {
        if (s === false) reject(new Error(`cannot listen on ${config.host}:${at}`));
        else resolve(s);
      });
    });
  let listenSocket = await listen(config.port);
  const port = uws.us_socket_local_port(listenSocket);
  // Linux lets other sockets share a port (SO_REUSEPORT) only when it was bound by number, not
  // picked by the kernel: with MSGXC_PORT=0 the free port found is bound again, by number.
  if (httpThreads && config.port === 0) {
    uws.us_listen_socket_close(listenSocket);
    listenSocket = await listen(port);
  }
  const workers =
    httpThreads && network !== undefined
      ? await startHttpThreads(config, config.httpThreads - 1, {
          port,
          store,
          sqlite,
          eventsFile: eventsFile(config),
          keysFile: opened.keysFile,
          network,
          log,
          rateMemory: limits.requestLimits.rates.memory,
          reads: read.runner,
          search: search.runner,
          live: realtime.live,
          admin,
          metrics,
          ...(delivery ? { reports: delivery.reports, reportsCaughtUp: () => delivery.caughtUp() } : {}),
        })
      : undefined;
  if (workers !== undefined) {
    promoted.to = (file) => {
      workers.promoted(file);
    };
    metrics.gauge(
      'msgxc_http_thread',
      'Which of the node HTTP threads answered (0: the main thread)',
      () => 0,
      'answering',
    );
    metrics.peers(0, () => Promise.resolve(workers.metrics()));
  }
  ready = true;
  log.info(
    {
      host: config.host,
      port,
      mode: config.mode,
      eventStore: config.eventStore,
      dataDir: config.dataDir,
      httpThreads: workers === undefined ? 1 : config.httpThreads,
    },
    'msgxc listening',
  );

  return {
    port,
    nativeUws: native,
    ...(workers === undefined ? {} : { httpThreads: workers }),
    close: async () => {
      ready = false;
      // Their appends go through this thread's writer: they stop before it does.
      await workers?.stop();
      clearInterval(expiry);
      limits.stop();
      await snapshotted?.close();
      await delivery?.stop();
      await realtime.close();
      uws.us_listen_socket_close(listenSocket);
      await projections.stop();
      await store.close();
      await reads.close();
      await search.close();
      await idemStore.close();
      if (providers === undefined) await outbox.close();
      else await providers.close();
    },
  };
};
