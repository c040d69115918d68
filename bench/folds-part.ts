// bench/triage.ts with BENCH_SPLIT=1: delivery's folds (triage's and dispatch's followers) on a
// thread of their own, as an embedded node runs them with MSGXC_REACTORS_THREAD=split
// (app/reactors-thread/worker.ts): it reads the log's file itself, woken by the commit counter,
// appends through the bench's store (the log's one writer), and has a connection of its own to
// reactors.db. The bench's main thread runs the sends (scheduler, dispatcher); the folds'
// position and wakes reach it through shared memory (app/reactors-thread/folds-peer.ts).
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { fixedClock } from '../adapters/clock/clock.js';
import { openSqliteDeliveryState } from '../adapters/delivery-state/sqlite.js';
import { proxiedAppend } from '../adapters/eventstore/thread-append.js';
import { foldsWriter } from '../app/reactors-thread/folds-peer.js';
import { nameThread } from '../app/thread-name.js';
import { openWorkerLog } from '../app/worker-log.js';
import { startReactors } from '../delivery/runner.js';
import type { EventStore } from '../ports/eventstore.js';

export interface FoldsPartData {
  readonly eventsFile: string;
  readonly reactorsFile: string;
  readonly commitSignal: SharedArrayBuffer;
  readonly folds: SharedArrayBuffer;
  readonly appends: MessagePort;
  /** The bench's clock, fixed (ISO). */
  readonly now: string;
  /** Who is online: the bench's own rule, by the users' index. */
  readonly users: number;
  readonly liveOnly: boolean;
}

const port = parentPort;
if (port === null) throw new Error('bench/folds-part.ts runs as a worker thread');
nameThread('msgxc-folds');
const d = workerData as FoldsPartData;
const read = openWorkerLog({ eventsFile: d.eventsFile, keysFile: undefined, commitSignal: d.commitSignal });
const appends = proxiedAppend(d.appends);
const store: EventStore = { ...read.store, append: appends.append };
const state = openSqliteDeliveryState(d.reactorsFile);
const online = new Set<string>();
for (let i = 0; i < d.users; i += 1) if (d.liveOnly || i % 3 === 0) online.add(`user-${String(i).padStart(7, '0')}`);
// Triage plans for the channels there are; the folds never call one.
const never = () => Promise.reject(new Error('the folds part sends nothing'));
const channel = (kind: string) => ({ kind, provider: 'none', deliver: never, close: () => Promise.resolve() });
const writer = foldsWriter(d.folds);
const reactors = startReactors({
  store,
  state,
  part: 'folds',
  revokeDevice: never,
  clock: fixedClock(new Date(d.now)),
  channels: Object.fromEntries(['webpush', 'fcm', 'apns', 'email', 'sms'].map((k) => [k, channel(k)])),
  presence: { isOnline: (uid) => online.has(uid), sessions: (uid) => (online.has(uid) ? 1 : 0) },
  onFoldsPosition: writer.moved,
  onWake: writer.wake,
});
port.on('message', () => {
  void reactors.stop().then(async () => {
    writer.stopped();
    appends.close();
    await state.close();
    await read.close();
    port.postMessage({ type: 'stopped' });
    port.close();
  });
});
port.postMessage({ type: 'ready' });
