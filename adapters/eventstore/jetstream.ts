import { connect } from 'nats';
import type { NatsConnection, Subscription as NatsSubscription } from 'nats';
import { subscriptionHub } from './catch-up.js';
import { jetStreamApi } from './jetstream-api.js';
import { jetStreamAppend } from './jetstream-append.js';
import type { AppendStats } from './jetstream-append.js';
import { bulkRead } from './jetstream-bulk.js';
import { jetStreamReads } from './jetstream-read.js';
import { ensureStream } from './jetstream-stream.js';
import { subjectScheme } from './jetstream-subjects.js';
import { createTipCache } from './jetstream-tips.js';
import type { AppendResult, EventStore } from '../../ports/eventstore.js';

// The event log on NATS JetStream (tested on nats-server 2.9.10 and the current 2.15.3; see
// docs/production.md): one JetStream stream, one subject per append of an event stream, one
// message per append. The mapping is described in jetstream-subjects.ts, appends in
// jetstream-append.ts.
export interface JetStreamEventStoreOptions {
  /** Server URLs (a cluster's seeds); ignored when `connection` is given. */
  readonly servers?: string | readonly string[];
  /** A connection to share; close() leaves it open. */
  readonly connection?: NatsConnection;
  /** JetStream stream name. Default MSGXC_EVENTS. */
  readonly streamName?: string;
  /** Subjects are `<prefix>.events.<stream>`. Default msgxc. */
  readonly subjectPrefix?: string;
  /** Replicas when the stream is created (3 in a cluster). Default 1. */
  readonly replicas?: number;
  /** Create the stream if missing. Default true. */
  readonly createStream?: boolean;
  /** One request's timeout: short, so a request caught by a dying leader is retried soon. Default 1500. */
  readonly requestTimeoutMs?: number;
  /** How long transient failures (leader elections, reconnects) are retried. Default 30000. */
  readonly retryForMs?: number;
  /** Subscriptions re-check the log this often even without a wake-up. Default 1000. */
  readonly pollMs?: number;
}

export interface JetStreamEventStore extends EventStore {
  /** Counters of the append path's retries and guard refusals, for tests and metrics. */
  stats(): AppendStats;
}

// Pages a subscription reads while catching up: large enough for the bulk path to pay off.
const CATCH_UP_PAGE = 2_000;

const connectTo = (servers: string | readonly string[]): Promise<NatsConnection> =>
  connect({
    servers: typeof servers === 'string' ? servers : [...servers],
    name: 'msgxc-eventstore',
    // A broker node outlives any one NATS node: keep reconnecting, quickly.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    timeout: 5_000,
    // Otherwise every request allocates an Error for its stack (a third of catch-up's CPU).
    noAsyncTraces: true,
  });

export const openJetStreamEventStore = async (options: JetStreamEventStoreOptions): Promise<JetStreamEventStore> => {
  if (options.connection === undefined && options.servers === undefined)
    throw new Error('JetStream event store: give servers or a connection');
  const nc = options.connection ?? (await connectTo(options.servers ?? []));
  const ownsConnection = options.connection === undefined;
  try {
    return await assemble(nc, ownsConnection, options);
  } catch (e) {
    if (ownsConnection) await nc.close();
    throw e;
  }
};

const assemble = async (
  nc: NatsConnection,
  ownsConnection: boolean,
  options: JetStreamEventStoreOptions,
): Promise<JetStreamEventStore> => {
  const streamName = options.streamName ?? 'MSGXC_EVENTS';
  const scheme = subjectScheme(options.subjectPrefix ?? 'msgxc');
  const retry = { forMs: options.retryForMs ?? 30_000 };
  const timeoutMs = options.requestTimeoutMs ?? 1_500;
  const api = jetStreamApi(nc, streamName, timeoutMs);
  try {
    await ensureStream(
      api,
      retry,
      { name: streamName, filter: scheme.filter, replicas: options.replicas ?? 1 },
      options.createStream ?? true,
    );
  } catch (e) {
    api.close();
    throw e;
  }

  const tips = createTipCache();
  const bulk = (startSeq: number, count: number) => bulkRead(nc, api, streamName, startSeq, count, timeoutMs);
  const reads = jetStreamReads({ api, bulk, scheme, tips, retry, streamName });
  // Subscriptions read through the store defined below (by the time anything subscribes).
  const hub = subscriptionHub({ readAll: (opts) => store.readAll(opts) }, { pageSize: CATCH_UP_PAGE });
  const wakeAll = hub.wake;
  const appender = jetStreamAppend({
    api,
    reads,
    scheme,
    tips,
    retry,
    // Announced only after the ack, i.e. once the append is readable from the leader, so a
    // woken reader finds it. Other nodes hear it on the wake subject; a lost announcement
    // (this node dies right after the ack) costs them at most one poll interval.
    onStored: (position) => {
      wakeAll();
      nc.publish(scheme.wakeSubject, String(position));
    },
  });

  // Appends to one stream from this process go one at a time: racing each other would only
  // turn into guard failures and re-reads, and in order each finds an up-to-date tip.
  const queues = new Map<string, Promise<unknown>>();
  const pending = new Set<Promise<AppendResult>>();
  const enqueue = (stream: string, run: () => Promise<AppendResult>): Promise<AppendResult> => {
    const previous = queues.get(stream) ?? Promise.resolve();
    const result = previous.then(run, run);
    const settled = result.catch(() => undefined);
    queues.set(stream, settled);
    pending.add(result);
    void settled.then(() => {
      pending.delete(result);
      if (queues.get(stream) === settled) queues.delete(stream);
    });
    return result;
  };

  const wakeSub: NatsSubscription = nc.subscribe(scheme.wakeSubject, {
    callback: () => {
      wakeAll();
    },
  });
  const poll = setInterval(wakeAll, options.pollMs ?? 1_000);
  poll.unref();
  let closing: Promise<void> | undefined;

  const close = async (): Promise<void> => {
    await Promise.allSettled([...pending]);
    await hub.closeAll();
    clearInterval(poll);
    wakeSub.unsubscribe();
    api.close();
    if (ownsConnection) await nc.close();
  };

  const store: JetStreamEventStore = {
    append: (stream, events, expected) => {
      if (closing !== undefined) return Promise.reject(new Error('event store is closed'));
      return enqueue(stream, () => appender.append(stream, events, expected));
    },
    read: (stream, opts) => reads.read(stream, opts),
    readAll: (opts) => reads.readAll(opts),
    subscribeAll: (after, handler, onError) => hub.subscribeAll(after, handler, onError),
    head: () => reads.head(),
    close: () => (closing ??= close()),
    stats: () => appender.stats(),
  };
  return store;
};
