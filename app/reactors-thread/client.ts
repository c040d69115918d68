import { mergeStatus, type ReactorPart, type ReactorStatus, type Reactors } from '../../delivery/runner.js';
import type { DeliveryReports, RecentMessage, UpcomingMessage } from '../../ports/delivery-state.js';
import type { DeadLetter } from '../../ports/follower.js';
import type { Config } from '../../schema/config.js';
import type { Delivery } from '../delivery.js';
import { type LogThread, type LogThreadDeps, launchLogThread } from '../log-thread.js';
import { configToClone } from './config-clone.js';
import { foldsBuffer } from './folds-peer.js';
import type { FromWorker, Question, ReactorsThreadOptions, ToWorker } from './protocol.js';

/** One delivery thread: the part it runs, its name in presence, its last status report. */
interface Part {
  readonly part: ReactorPart;
  readonly node: string;
  status: readonly ReactorStatus[];
  current?: LogThread;
}

export interface ReactorsThreadDeps extends LogThreadDeps {
  readonly onDeadLetters?: (dead: readonly DeadLetter[]) => void;
}

/**
 * Runs an embedded node's delivery (app/delivery.ts) in a worker thread (./worker.ts), or two
 * (MSGXC_REACTORS_THREAD=split: the folds in one, the scheduler and dispatcher in the other), and
 * presents it here as the Delivery the node's routes, admin and metrics use: questions go to
 * the worker as messages, the status is the worker's last report. A worker that dies is logged
 * as an error and started again (its followers resume from their checkpoints in reactors.db;
 * claims it held lapse), so delivery is late rather than lost.
 */
export const startReactorsThread = async (config: Config, deps: ReactorsThreadDeps): Promise<Delivery> => {
  // MSGXC_REACTORS_THREAD=split: the folds (triage's and dispatch's followers) on one thread, the
  // sends (scheduler, dispatcher) on the other, sharing the folds' position and wakes
  // (./folds-peer.ts); else both on one.
  const split = config.triage.thread === 'split';
  const folds = split ? foldsBuffer() : undefined;
  const threads: Part[] = split
    ? [
        { part: 'folds', node: `${config.nodeId}-folds`, status: [] },
        { part: 'sends', node: `${config.nodeId}-reactors`, status: [] },
      ]
    : [{ part: 'both', node: `${config.nodeId}-reactors`, status: [] }];
  // Questions go to the thread with the sends: its settle and waitFor wait for the folds too.
  const answering = threads[threads.length - 1] as Part;
  const asked = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let asks = 0;
  let stopping = false;

  const start = async (t: Part): Promise<void> => {
    const launched = launchLogThread<FromWorker>(deps, {
      url: new URL('./worker.js', import.meta.url),
      data: (ports): ReactorsThreadOptions => ({
        config: configToClone(config),
        node: t.node,
        eventsFile: deps.eventsFile,
        keysFile: deps.keysFile,
        commitSignal: deps.sqlite.commitSignal,
        part: t.part,
        ...(folds === undefined ? {} : { folds }),
        ...ports,
      }),
      name: split ? `delivery ${t.part} thread` : 'delivery reactors thread',
      onMessage: (m) => {
        if (m.type === 'ready' || m.type === 'status') t.status = m.status;
        else if (m.type === 'answer') {
          const a = asked.get(m.id);
          asked.delete(m.id);
          if (m.error === undefined) a?.resolve(m.value);
          else a?.reject(new Error(m.error));
        } else if (m.type === 'quarantined') deps.onDeadLetters?.(m.deadLetters);
      },
      onExit: () => {
        if (t !== answering) return;
        for (const a of asked.values()) a.reject(new Error('the delivery reactors thread exited'));
        asked.clear();
      },
      // Not asked to stop: delivery must not end quietly. Its checkpoints say where to resume.
      stopping: () => stopping,
      restart: () => start(t),
    });
    t.current = launched;
    await launched.ready;
  };

  const ask = <T>(question: Question): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const worker = answering.current?.worker;
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

  await Promise.all(threads.map(start));
  const reports: DeliveryReports = {
    upcoming: (limit) => ask<readonly UpcomingMessage[]>({ what: 'upcoming', limit }),
    recent: (limit) => ask<readonly RecentMessage[]>({ what: 'recent', limit }),
  };
  const stopThread = async (t: Part): Promise<void> => {
    const c = t.current;
    if (c === undefined) return;
    c.worker.postMessage({ type: 'stop' } satisfies ToWorker);
    await c.stopped;
    await c.worker.terminate();
  };
  const reactors: Reactors = {
    stop: async () => {
      if (stopping) return;
      stopping = true;
      // The sends first: they wait on the folds' position, which a stopped folds thread releases anyway.
      for (const t of [...threads].reverse()) await stopThread(t);
    },
    status: () => mergeStatus(threads.map((t) => t.status)),
    settle: async (timeoutMs) => {
      await ask<unknown>({ what: 'settle', timeoutMs });
    },
    waitFor: async (position, timeoutMs) => {
      await ask<unknown>({ what: 'waitFor', position, timeoutMs });
    },
    reports,
    deadLetters: () => ask<readonly DeadLetter[]>({ what: 'deadLetters' }),
    wake: (earliest) => {
      answering.current?.worker.postMessage({
        type: 'wake',
        ...(earliest === undefined ? {} : { earliest }),
      } satisfies ToWorker);
    },
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
