// Entry point of one of an embedded node's extra HTTP/websocket threads (MSGXC_HTTP_THREADS):
// the same routes and websocket endpoint as the main thread, on the same port (uWS listens
// with SO_REUSEPORT, so the kernel spreads new connections over the threads). What must stay
// single stays with the main thread: the log's writer (appends cross a port and are answered
// once fsynced, conflicts included: adapters/eventstore/thread-append.ts), the projections and
// the live follower (this thread asks for their progress), the reactors. This thread reads the
// log's file and the read models' and search's files itself, and joins the node's in-process
// bus (adapters/bus/thread.ts): the live frames the main thread's follower publishes reach the
// sessions here as they reach the main thread's, and presence is shared as between nodes.
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { createThreadBus } from '../../adapters/bus/thread.js';
import { liveFile } from '../../adapters/checkpoint/sqlite-generations.js';
import { systemClock } from '../../adapters/clock/clock.js';
import { auditLog } from '../../adapters/eventstore/audit-log.js';
import { countingAppends } from '../../adapters/eventstore/in-flight.js';
import { proxiedAppend } from '../../adapters/eventstore/thread-append.js';
import { createSqliteIdempotencyStore } from '../../adapters/idempotency/sqlite.js';
import { openSqliteReadFile } from '../../adapters/read-store/sqlite.js';
import { embeddedSearchReader } from '../../adapters/search/embedded-reader.js';
import { allRoutes } from '../../api/app.js';
import { mountFallback, mountRoute } from '../../api/http.js';
import { createIdempotency } from '../../api/idempotency.js';
import { createMetrics, type MetricCounts } from '../../api/metrics.js';
import { mountPreflight } from '../../api/preflight.js';
import type { AdminOps } from '../../api/routes/admin.js';
import { closeApp, loadUws, type us_listen_socket } from '../../api/uws.js';
import { startRealtime } from '../../api/ws/realtime.js';
import type { DeliveryReports } from '../../ports/delivery-state.js';
import type { EventStore } from '../../ports/eventstore.js';
import type { ProjectionRunner } from '../../ports/projections.js';
import type { ReadModels } from '../../ports/read-models.js';
import { createEmbeddedReadModels, readModelsIn } from '../../projections/embedded.js';
import { liveReadModels } from '../../projections/live-read-models.js';
import { openOutbox } from '../engines.js';
import { ADMIN_UI_DIR, PUSH_UI_DIR } from '../paths.js';
import { configFromClone } from '../reactors-thread/config-clone.js';
import { nameThread } from '../thread-name.js';
import { openWorkerLog } from '../worker-log.js';
import { postingLogger } from '../worker-logger.js';
import {
  type FromWorker,
  type HttpThreadOptions,
  GAUGES_MS,
  METRICS_MS,
  type Snapshot,
  type Target,
  type ToWorker,
} from './protocol.js';
import { startCommandSide } from '../command-side.js';

const port = parentPort;
if (port === null) throw new Error('app/http-threads/worker.ts must run as a worker thread');
const options = workerData as HttpThreadOptions;
nameThread('msgxc-http');
const config = configFromClone(options.config);
const post = (m: FromWorker): void => {
  port.postMessage(m);
};
const log = postingLogger(post);
const clock = systemClock;
const node = `${config.nodeId}-http${options.index}`;

// Questions to the main thread, answered in any order.
const asked = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
let asks = 0;
const ask = <T>(target: Target, method: string, ...args: unknown[]): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const id = ++asks;
    asked.set(id, {
      resolve: (v) => {
        resolve(v as T);
      },
      reject,
    });
    post({ type: 'ask', id, target, method, args });
  });
let snapshot: Snapshot = { reads: [], search: [], rebuild: { running: false, position: 0, head: 0 } };

const read = openWorkerLog({
  eventsFile: options.eventsFile,
  keysFile: options.keysFile,
  commitSignal: options.commitSignal,
});
const appends = proxiedAppend(options.appends);
const store = countingAppends({ ...read.store, append: appends.append } satisfies EventStore);

// The read models' live generation, switched when the main thread's projection worker promotes another.
const readFile = join(config.dataDir, 'read.db');
let models: { db: ReturnType<typeof openSqliteReadFile>; reads: ReadModels } | undefined;
const useReadFile = (file: string): void => {
  const previous = models;
  const db = readModelsIn(openSqliteReadFile(file));
  models = { db, reads: createEmbeddedReadModels(db, clock) };
  previous?.db.close();
};
useReadFile(liveFile(readFile));
const reads = liveReadModels(() => {
  if (models === undefined) throw new Error('the read models are closed');
  return models.reads;
});
const search = embeddedSearchReader(join(config.dataDir, 'search.db'));
const projections: ProjectionRunner = {
  start: () => undefined,
  waitFor: (position, timeoutMs) => ask('reads', 'waitFor', position, timeoutMs),
  status: () => snapshot.reads,
  // Progress is the admin page's, which polls the main thread's rebuild status.
  rebuild: (_progress, o) => ask('reads', 'rebuild', undefined, o),
  deadLetters: () => ask('reads', 'deadLetters'),
  wouldSkip: () => ask('reads', 'wouldSkip'),
  stop: () => Promise.resolve(),
};
const admin: AdminOps = {
  stats: () => ask('admin', 'stats'),
  rebuild: (o) => ask('admin', 'rebuild', o),
  rebuildStatus: () => snapshot.rebuild,
  deadLetters: () => ask('admin', 'deadLetters'),
  projectionDeadLetters: () => ask('admin', 'projectionDeadLetters'),
};
const reports: DeliveryReports = {
  upcoming: (limit) => ask('reports', 'upcoming', limit),
  recent: (limit) => ask('reports', 'recent', limit),
};

const { uws } = loadUws(config.allowUwsFallback);
const metrics = createMetrics();
metrics.gauge(
  'msgxc_http_thread',
  'Which of the node HTTP threads answered (0: the main thread)',
  () => options.index,
  'answering',
);
metrics.gauge('msgxc_log_head_position', 'Position of the newest event in the log', () => store.head());
// A scrape here shows every thread's counters and gauges (labelled `thread`): the main thread's and
// the other workers' come from the main thread; this thread's go there when its counts change, and
// at least every GAUGES_MS for its gauges (sockets, writes in flight move without a count).
metrics.peers(options.index, () => ask<MetricCounts[]>('metrics', 'counts', options.index));
let sentVersion = -1;
let sentAt = 0;
let sending = false;
const sendCounts = setInterval(() => {
  if (sending || (metrics.version() === sentVersion && Date.now() - sentAt < GAUGES_MS)) return;
  sending = true;
  sentVersion = metrics.version();
  sentAt = Date.now();
  void metrics
    .snapshot()
    .then((counts) => {
      post({ type: 'metrics', counts });
    })
    .finally(() => {
      sending = false;
    });
}, METRICS_MS);
sendCounts.unref();
const { ids, commands, recognise, limits, verifier } = startCommandSide(
  config,
  store,
  read.personal,
  clock,
  metrics,
  options.rateMemory,
);
const idemStore = createSqliteIdempotencyStore(join(config.dataDir, 'idempotency.db'));
const outbox = openOutbox(config);
const bus = createThreadBus(options.bus, {
  onError: (e) => {
    log.warn({ err: e instanceof Error ? e.message : String(e) }, 'bus error');
  },
});

let ready = false;
const app = uws.App();
const realtime = startRealtime({
  uws,
  app,
  bus,
  node,
  limits: config.ws,
  jsonMaxDepth: config.jsonMaxDepth,
  store,
  // The main thread's follower wrote up to `position` to the bus; the flush makes sure those
  // frames crossed to this thread (one port, in order) before the session goes live.
  live: { caughtUp: (position, ms) => ask('live', 'caughtUp', position, ms).then(() => bus.flush()) },
  reads,
  projections,
  memberships: { threadsOf: (uid) => reads.subscribedThreads(uid) },
  commands,
  recognise,
  verifier,
  metrics,
  log,
  now: () => clock.now(),
  ready: () => ready,
  requestLimits: limits.requestLimits,
});
await bus.flush();

const routes = allRoutes(
  {
    commands,
    reads,
    projections,
    store,
    audit: auditLog(read.stored),
    search,
    searchRunner: {
      waitFor: (position, timeoutMs) => ask('search', 'waitFor', position, timeoutMs),
      status: () => snapshot.search,
    },
    metrics,
    ready: () => ready,
    outbox,
    admin,
    reports,
    reportsCaughtUp: () => ask('reportsCaughtUp', 'call'),
    ...(ADMIN_UI_DIR !== undefined ? { adminUiDir: ADMIN_UI_DIR } : {}),
    ...(PUSH_UI_DIR !== undefined ? { pushUiDir: PUSH_UI_DIR } : {}),
    ...(config.channels.webpush !== undefined ? { vapidPublicKey: config.channels.webpush.publicKey } : {}),
    ...(config.compat.receiptSecret !== undefined ? { receiptKey: config.compat.receiptSecret } : {}),
  },
  { presence: realtime.presence },
);
const httpDeps = {
  verifier,
  metrics,
  log,
  bodyLimit: config.bodyLimit,
  jsonMaxDepth: config.jsonMaxDepth,
  idempotency: createIdempotency(idemStore, { owner: `${node}/${process.pid}`, leaseMs: 35_000 }),
  newMessageId: () => ids.messageId(),
  now: () => clock.now(),
  onActor: recognise,
  limits: limits.requestLimits,
  cors: config.compat.cors,
};
for (const r of routes) mountRoute(app, r, httpDeps);
if (config.compat.cors.kind !== 'none') mountPreflight(app, routes, config.compat.cors, metrics);
mountFallback(app, routes, { metrics, log });

const listenSocket = await new Promise<us_listen_socket>((resolve, reject) => {
  app.listen(config.host, options.port, (s) => {
    if (s === false) reject(new Error(`HTTP thread ${options.index} cannot listen on ${config.host}:${options.port}`));
    else resolve(s);
  });
});
ready = true;

const stop = async (): Promise<void> => {
  ready = false;
  clearInterval(sendCounts);
  post({ type: 'metrics', counts: metrics.counts() });
  uws.us_listen_socket_close(listenSocket);
  limits.stop();
  await realtime.close();
  await bus.close();
  appends.close();
  await read.close();
  await idemStore.close();
  await outbox.close();
  search.close();
  models?.db.close();
  models = undefined;
  // Last: the connections left (idle keep-alive ones, upgrades under way) would abort the process.
  closeApp(app);
};

// A thread that dies with uWS sockets open aborts the whole process (Node's worker teardown
// asserts an empty loop): a failure here closes the sessions and then every socket (stop), then
// ends the thread with an error code, and the main thread starts it again.
let failing = false;
const fail = (e: unknown): void => {
  log.error({ err: e instanceof Error ? e.message : String(e) }, 'HTTP thread failed; closing it');
  if (failing) return;
  failing = true;
  void stop()
    .catch(() => undefined)
    .finally(() => process.exit(1));
};
process.on('uncaughtException', fail);
// As on the main thread (app/cli/start.ts): logged, not fatal.
process.on('unhandledRejection', (reason) => {
  log.error({ err: reason instanceof Error ? reason.message : String(reason) }, 'unhandled promise rejection');
});

port.on('message', (m: ToWorker) => {
  if (m.type === 'answer') {
    const a = asked.get(m.id);
    asked.delete(m.id);
    if (m.error === undefined) a?.resolve(m.value);
    else a?.reject(new Error(m.error));
  } else if (m.type === 'snapshot') snapshot = m.snapshot;
  else if (m.type === 'promoted') useReadFile(m.file);
  else if (m.type === 'crash')
    setTimeout(() => {
      throw new Error('crash drill');
    }, 0);
  else
    void stop().then(() => {
      post({ type: 'stopped' });
      port.close();
    });
});

post({ type: 'ready' });
