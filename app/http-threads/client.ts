import { type MetricCounts, type Metrics, merged } from '../../api/metrics.js';
import type { RateMemory } from '../../api/rate-limits.js';
import type { AdminOps } from '../../api/routes/admin.js';
import type { DeliveryReports } from '../../ports/delivery-state.js';
import type { LiveFeed } from '../../ports/live.js';
import type { ProjectionRunner } from '../../ports/projections.js';
import type { Config } from '../../schema/config.js';
import { type LogThread, type LogThreadDeps, launchLogThread } from '../log-thread.js';
import { configToClone } from '../reactors-thread/config-clone.js';
import type { FromWorker, HttpThreadOptions, Snapshot, Target, ToWorker } from './protocol.js';

export interface HttpThreadsDeps extends LogThreadDeps {
  /** The port the main thread listens on. */
  readonly port: number;
  /** The main thread's rate-limit buckets: every thread spends from them (budgets per node). */
  readonly rateMemory: RateMemory;
  /** What the workers ask of this thread (./protocol.ts, Target). */
  readonly reads: ProjectionRunner;
  readonly search: Pick<ProjectionRunner, 'waitFor' | 'status'>;
  readonly live: LiveFeed;
  readonly admin: AdminOps;
  readonly reports?: DeliveryReports;
  readonly reportsCaughtUp?: () => Promise<void>;
  /** The main thread's metrics: a worker's scrape adds them (and the other workers') to its own. */
  readonly metrics: Metrics;
}

export interface HttpThreads {
  /** Tells each worker the read models' new live generation. */
  promoted(file: string): void;
  /** Fails worker `index` as an uncaught exception would (its restart follows): a drill for tests and operators. */
  crash(index: number): void;
  /** Every worker's counts (restarted workers' earlier lives included), for the main thread's scrape. */
  metrics(): readonly MetricCounts[];
  stop(): Promise<void>;
}

const SNAPSHOT_MS = 100;

/**
 * Starts `count` extra HTTP/websocket threads (./worker.ts) on the main thread's port. A worker
 * that dies is logged as an error and started again after a second: its sockets are gone (their
 * clients reconnect, to any thread), the port stays served by the others, and nothing it had
 * answered 2xx is lost (its appends were committed here before the answer).
 */
export const startHttpThreads = async (config: Config, count: number, deps: HttpThreadsDeps): Promise<HttpThreads> => {
  // Each worker's last counts, and what its earlier lives had counted: a restarted worker starts
  // from zero, and the node's counters must not go back.
  const latest = new Map<number, MetricCounts>();
  const retired = new Map<number, MetricCounts>();
  const workerCounts = (except?: number): MetricCounts[] => [
    ...retired.values(),
    ...[...latest].filter(([i]) => i !== except).map(([, c]) => c),
  ];
  const targets: Record<Target, object | undefined> = {
    reads: deps.reads,
    search: deps.search,
    live: deps.live,
    admin: deps.admin,
    reports: deps.reports,
    reportsCaughtUp: deps.reportsCaughtUp === undefined ? undefined : { call: deps.reportsCaughtUp },
    metrics: { counts: async (except: number) => [await deps.metrics.snapshot(), ...workerCounts(except)] },
  };
  const answer = async (target: Target, method: string, args: readonly unknown[]): Promise<unknown> => {
    const t = targets[target] as Record<string, unknown> | undefined;
    const f = t?.[method];
    if (typeof f !== 'function') throw new Error(`${target}.${method} is not served to HTTP threads`);
    return (await (f as (...a: unknown[]) => unknown).apply(t, [...args])) ?? null;
  };
  const snapshotNow = (): Snapshot => ({
    reads: deps.reads.status(),
    search: deps.search.status(),
    rebuild: deps.admin.rebuildStatus(),
  });
  let stopping = false;
  const running = new Map<number, LogThread>();

  const start = async (index: number): Promise<void> => {
    const send = (m: ToWorker): void => {
      t.worker.postMessage(m);
    };
    const t = launchLogThread<FromWorker>(deps, {
      url: new URL('./worker.js', import.meta.url),
      data: (ports): HttpThreadOptions => ({
        config: configToClone(config),
        index,
        port: deps.port,
        eventsFile: deps.eventsFile,
        keysFile: deps.keysFile,
        commitSignal: deps.sqlite.commitSignal,
        rateMemory: deps.rateMemory,
        ...ports,
      }),
      name: 'HTTP thread',
      fields: { thread: index },
      onMessage: (m) => {
        if (m.type === 'ready') send({ type: 'snapshot', snapshot: snapshotNow() });
        else if (m.type === 'metrics') latest.set(index, m.counts);
        else if (m.type === 'ask')
          answer(m.target, m.method, m.args).then(
            (value) => {
              send({ type: 'answer', id: m.id, value });
            },
            (e: unknown) => {
              send({ type: 'answer', id: m.id, error: e instanceof Error ? e.message : String(e) });
            },
          );
      },
      onExit: () => {
        if (running.get(index) === t) running.delete(index);
        const last = latest.get(index);
        if (last !== undefined) {
          // Its counts live on (counters never go back); its gauges died with it.
          const before = retired.get(index);
          retired.set(index, merged(before ?? last, before === undefined ? [] : [last]));
          latest.delete(index);
        }
      },
      stopping: () => stopping,
      restart: () => start(index),
    });
    running.set(index, t);
    await t.ready;
  };

  // /readyz and the admin page read these synchronously on a worker: pushed when they change.
  let lastSnapshot = '';
  const pushSnapshot = (): void => {
    const snapshot = snapshotNow();
    const text = JSON.stringify(snapshot);
    if (text === lastSnapshot) return;
    lastSnapshot = text;
    for (const r of running.values()) r.worker.postMessage({ type: 'snapshot', snapshot } satisfies ToWorker);
  };
  const snapshots = setInterval(pushSnapshot, SNAPSHOT_MS);
  snapshots.unref();

  await Promise.all(Array.from({ length: count }, (_, i) => start(i + 1)));
  return {
    promoted: (file) => {
      for (const r of running.values()) r.worker.postMessage({ type: 'promoted', file } satisfies ToWorker);
    },
    metrics: () => workerCounts(),
    crash: (index) => {
      running.get(index)?.worker.postMessage({ type: 'crash' } satisfies ToWorker);
    },
    stop: async () => {
      stopping = true;
      clearInterval(snapshots);
      const all = [...running.values()];
      for (const r of all) r.worker.postMessage({ type: 'stop' } satisfies ToWorker);
      await Promise.all(all.map((r) => r.stopped));
      await Promise.all(all.map((r) => r.worker.terminate()));
    },
  };
};
