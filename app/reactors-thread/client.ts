import type { ReactorStatus, Reactors } from '../../delivery/runner.js';
import type { DeliveryReports, RecentMessage, UpcomingMessage } from '../../ports/delivery-state.js';
import type { DeadLetter } from '../../ports/follower.js';
import type { Config } from '../../schema/config.js';
import type { Delivery } from '../delivery.js';
import { type LogThread, type LogThreadDeps, launchLogThread } from '../log-thread.js';
import { configToClone } from './config-clone.js';
import type { FromWorker, Question, ReactorsThreadOptions, ToWorker } from './protocol.js';

export interface ReactorsThreadDeps extends LogThreadDeps {
  readonly onDeadLetters?: (dead: readonly DeadLetter[]) => void;
}

/**
 * Runs an embedded node's delivery (app/delivery.ts) in a worker thread (./worker.ts) and
 * presents it here as the Delivery the node's routes, admin and metrics use: questions go to
 * the worker as messages, the status is the worker's last report. A worker that dies is logged
 * as an error and started again (its followers resume from their checkpoints in reactors.db;
 * claims it held lapse), so delivery is late rather than lost.
 */
export const startReactorsThread = async (config: Config, deps: ReactorsThreadDeps): Promise<Delivery> => {
  let status: readonly ReactorStatus[] = [];
  const asked = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let asks = 0;
  let stopping = false;
  let current: LogThread | undefined;

  const start = async (): Promise<void> => {
    const t = launchLogThread<FromWorker>(deps, {
      url: new URL('./worker.js', import.meta.url),
      data: (ports): ReactorsThreadOptions => ({
        config: configToClone(config),
        node: `${config.nodeId}-reactors`,
        eventsFile: deps.eventsFile,
        keysFile: deps.keysFile,
        commitSignal: deps.sqlite.commitSignal,
        ...ports,
      }),
      name: 'delivery reactors thread',
      onMessage: (m) => {
        if (m.type === 'ready' || m.type === 'status') status = m.status;
        else if (m.type === 'answer') {
          const a = asked.get(m.id);
          asked.delete(m.id);
          if (m.error === undefined) a?.resolve(m.value);
          else a?.reject(new Error(m.error));
        } else if (m.type === 'quarantined') deps.onDeadLetters?.(m.deadLetters);
      },
      onExit: () => {
        for (const a of asked.values()) a.reject(new Error('the delivery reactors thread exited'));
        asked.clear();
      },
      // Not asked to stop: delivery must not end quietly. Its checkpoints say where to resume.
      stopping: () => stopping,
      restart: start,
    });
    current = t;
    await t.ready;
  };

  const ask = <T>(question: Question): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const worker = current?.worker;
      if (worker === undefined || stopping) {
        reject(new Error('the delivery reactors thread is not running'));
        return;
      }
      const id = ++asks;
      asked.set(id, {
        resolve: (v) => {
          resolve(v as T);
        },
        reject,
      });
      worker.postMessage({ type: 'ask', id, question } satisfies ToWorker);
    });

  await start();
  const reports: DeliveryReports = {
    upcoming: (limit) => ask<readonly UpcomingMessage[]>({ what: 'upcoming', limit }),
    recent: (limit) => ask<readonly RecentMessage[]>({ what: 'recent', limit }),
  };
  const reactors: Reactors = {
    stop: async () => {
      if (stopping) return;
      stopping = true;
      const c = current;
      if (c === undefined) return;
      c.worker.postMessage({ type: 'stop' } satisfies ToWorker);
      await c.stopped;
      await c.worker.terminate();
    },
    status: () => status,
    settle: async (timeoutMs) => {
      await ask<unknown>({ what: 'settle', timeoutMs });
    },
    waitFor: async (position, timeoutMs) => {
      await ask<unknown>({ what: 'waitFor', position, timeoutMs });
    },
    reports,
    deadLetters: () => ask<readonly DeadLetter[]>({ what: 'deadLetters' }),
  };
  return {
    reactors,
    reports,
    caughtUp: async (timeoutMs = 2000) => {
      await reactors.waitFor(await deps.store.head(), timeoutMs);
    },
    stop: () => reactors.stop(),
  };
};
