// Entry point of an embedded node's delivery reactors' thread (triage, dispatch, scheduler:
// delivery/): the same composition as a node of role `reactors` (app/reactors-node.ts), off
// the thread that serves HTTP and websockets. It reads the log's file itself, woken by the
// log's commit counter (app/worker-log.ts), and appends through the main thread's writer, the
// log's only one; presence and the throttles' roster come over a bus bridged to the main
// thread's in-process bus, as they come over NATS to a reactors process. Delivery's state
// (reactors.db) and the channels (outbox.db, the providers' clients) are opened here only.
import { parentPort, workerData } from 'node:worker_threads';
import { createThreadBus } from '../../adapters/bus/thread.js';
import { systemClock } from '../../adapters/clock/clock.js';
import { proxiedAppend } from '../../adapters/eventstore/thread-append.js';
import type { EventStore } from '../../ports/eventstore.js';
import { startDeliveryProcess } from '../reactors-node.js';
import { starting } from '../thread-error.js';
import { nameThread } from '../thread-name.js';
import { openWorkerLog } from '../worker-log.js';
import { postingLogger } from '../worker-logger.js';
import { configFromClone } from './config-clone.js';
import { foldsPeerOf, foldsWriter } from './folds-peer.js';
import type { PartOptions } from '../../delivery/runner.js';
import type { FromWorker, Question, ReactorsThreadOptions, ToWorker } from './protocol.js';

const port = parentPort;
if (port === null) throw new Error('app/reactors-thread/worker.ts must run as a worker thread');
const options = workerData as ReactorsThreadOptions;
nameThread(options.part === 'folds' ? 'msgxc-folds' : 'msgxc-reactors');
const post = (m: FromWorker): void => {
  port.postMessage(m);
};
const log = postingLogger(post);

const read = await starting(() =>
  openWorkerLog({
    eventsFile: options.eventsFile,
    keysFile: options.keysFile,
    commitSignal: options.commitSignal,
  }),
);
const appends = proxiedAppend(options.appends);
const store: EventStore = {
  ...read.store,
  append: appends.append,
  close: async () => {
    appends.close();
    await read.close();
  },
};
const bus = createThreadBus(options.bus, {
  onError: (e) => {
    log.warn({ err: e instanceof Error ? e.message : String(e) }, 'bus error');
  },
});
// MSGXC_REACTORS_THREAD=split: this thread runs one part; the two meet in the log, reactors.db
// and the folds' position and wakes in shared memory (./folds-peer.ts).
const shared = options.folds;
const writer = shared !== undefined && options.part === 'folds' ? foldsWriter(shared) : undefined;
const wakes: { to?: (earliest?: number) => void } = {};
const peer =
  shared !== undefined && options.part === 'sends'
    ? foldsPeerOf(shared, (earliest) => {
        wakes.to?.(earliest);
      })
    : undefined;
const part: PartOptions = {
  part: options.part,
  ...(writer === undefined ? {} : { onFoldsPosition: writer.moved, onWake: writer.wake }),
  ...(peer === undefined ? {} : { foldsPeer: peer }),
};

const running = await starting(() =>
  startDeliveryProcess(configFromClone(options.config), {
    store,
    personal: read.personal,
    bus,
    node: options.node,
    clock: systemClock,
    log,
    onDeadLetters: (deadLetters) => {
      post({ type: 'quarantined', deadLetters });
    },
    onBadPresence: () => {
      log.warn('undecodable presence message on the bus');
    },
    part,
  }),
);
const { delivery } = running;
wakes.to = (earliest) => {
  delivery.reactors.wake(earliest);
};

// The main thread's gauges and /readyz read the reactors' status from its last copy.
let lastStatus = '';
const statusTimer = setInterval(() => {
  const status = delivery.reactors.status();
  const text = JSON.stringify(status);
  if (text === lastStatus) return;
  lastStatus = text;
  post({ type: 'status', status });
}, 100);

const answer = async (q: Question): Promise<unknown> => {
  switch (q.what) {
    case 'waitFor':
      return delivery.reactors.waitFor(q.position, q.timeoutMs);
    case 'settle':
      return delivery.reactors.settle(q.timeoutMs);
    case 'deadLetters':
      return delivery.reactors.deadLetters();
    case 'upcoming':
      return delivery.reports.upcoming(q.limit);
    case 'recent':
      return delivery.reports.recent(q.limit);
    default: {
      const unknown: never = q;
      return unknown;
    }
  }
};

port.on('message', (m: ToWorker) => {
  if (m.type === 'ask') {
    answer(m.question).then(
      (value) => {
        post({ type: 'answer', id: m.id, value });
      },
      (e: unknown) => {
        post({ type: 'answer', id: m.id, error: e instanceof Error ? e.message : String(e) });
      },
    );
    return;
  }
  if (m.type === 'wake') {
    delivery.reactors.wake(m.earliest);
    return;
  }
  clearInterval(statusTimer);
  peer?.close();
  // Stopped before the bus and the log: what the reactors append on the way out still lands.
  void running.stop().then(async () => {
    writer?.stopped();
    await bus.close();
    await store.close();
    post({ type: 'stopped' });
    port.close();
  });
});

post({ type: 'ready', status: delivery.reactors.status() });
