import {
  ANY,
  BACKWARDS,
  DeadlineExceededError,
  END,
  FORWARDS,
  KurrentDBClient,
  NO_STREAM,
  NotLeaderError,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
  streamNameFilter,
} from '@kurrent/kurrentdb-client';
import type { AppendStreamState, ResolvedEvent } from '@kurrent/kurrentdb-client';
import { esdbSubscription } from './eventstoredb-subscription.js';
import { fromPosition, toEventData, toRecordedEvent } from './eventstoredb-mapping.js';
import type {
  AppendResult,
  EventStore,
  ExpectedRevision,
  RecordedEvent,
  Subscription,
} from '../../ports/eventstore.js';
import { revisionMatches } from './revision.js';

// The event log on EventStoreDB, through @kurrent/kurrentdb-client: the renamed successor
// of @eventstore/db-client, which speaks gRPC to EventStoreDB 22+ and to KurrentDB (its new
// name from version 25). HONESTLY: no server could be had on the machine this was written
// on, so this adapter compiles, lints and follows the client's types and documentation, but
// has NOT been run against a server here. The shared contract suite runs against it as
// soon as MSGXC_EVENTSTORE_URL is set (test/integration/eventstore-eventstoredb.int.test.ts).
export interface EventStoreDbOptions {
  /** esdb://, esdb+discover://, kurrentdb:// or kurrentdb+discover:// connection string. */
  readonly connectionString: string;
  /** Prepended to every stream name (see eventstoredb-mapping.ts). Default `msgxc:`. */
  readonly streamPrefix?: string;
  /** How long an append that failed for want of a leader is retried. Default 30000. */
  readonly retryForMs?: number;
}

// Retried with the same event ids at the same expected revision, which the server
// answers idempotently: a first try that was written is not written twice. Appends can
// also fail with the raw gRPC status (seen here: "14 UNAVAILABLE" on a refused connection).
const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;
const isTransient = (e: unknown): boolean =>
  e instanceof UnavailableError ||
  e instanceof DeadlineExceededError ||
  e instanceof NotLeaderError ||
  (typeof e === 'object' &&
    e !== null &&
    'code' in e &&
    (e.code === GRPC_UNAVAILABLE || e.code === GRPC_DEADLINE_EXCEEDED));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const streamState = (expected: ExpectedRevision): AppendStreamState =>
  expected === 'any'
    ? ANY
    : expected === 'no_stream'
      ? NO_STREAM
      : expected === 'stream_exists'
        ? STREAM_EXISTS
        : BigInt(expected);

const actualRevision = (e: WrongExpectedVersionError): number =>
  typeof e.actualState === 'bigint' ? Number(e.actualState) : -1;

export const openEventStoreDbEventStore = (options: EventStoreDbOptions): EventStore => {
  // The client warns that `esdb` is the old name of the same scheme.
  const client = KurrentDBClient.connectionString(
    options.connectionString.replace(/^esdb(\+discover)?:\/\//, 'kurrentdb$1://'),
  );
  const prefix = options.streamPrefix ?? 'msgxc:';
  const filter = streamNameFilter({ prefixes: [prefix] });
  const subscriptions = new Set<Subscription>();
  const pending = new Set<Promise<unknown>>();
  let closing: Promise<void> | undefined;

  const collect = async (
    events: AsyncIterable<ResolvedEvent>,
    keep: (e: RecordedEvent) => boolean = () => true,
  ): Promise<RecordedEvent[]> => {
    const out: RecordedEvent[] = [];
    try {
      for await (const resolved of events) {
        const e = toRecordedEvent(prefix, resolved);
        if (e !== undefined && keep(e)) out.push(e);
      }
    } catch (e) {
      if (!(e instanceof StreamNotFoundError)) throw e;
    }
    return out;
  };

  const read = (stream: string, opts: { fromRevision?: number; limit?: number } = {}): Promise<RecordedEvent[]> =>
    opts.limit === 0
      ? Promise.resolve([])
      : collect(
          client.readStream(prefix + stream, {
            fromRevision: BigInt(opts.fromRevision ?? 0),
            maxCount: opts.limit ?? Number.MAX_SAFE_INTEGER,
            direction: FORWARDS,
          }),
        );

  const lastRevision = async (stream: string): Promise<number> =>
    (await collect(client.readStream(prefix + stream, { fromRevision: END, maxCount: 1, direction: BACKWARDS })))[0]
      ?.revision ?? -1;

  const head = async (): Promise<number> =>
    (await collect(client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 1, filter })))[0]?.position ?? 0;

  const append = async (
    stream: string,
    events: Parameters<EventStore['append']>[1],
    expected: ExpectedRevision,
  ): Promise<AppendResult> => {
    if (events.length === 0) {
      // Nothing to write, so nothing for the server to check: look at the stream instead.
      const actual = await lastRevision(stream);
      return revisionMatches(expected, actual)
        ? { kind: 'appended', nextRevision: actual, position: await head() }
        : { kind: 'wrong_expected_revision', stream, expected, actual };
    }
    const data = events.map(toEventData);
    const deadline = Date.now() + (options.retryForMs ?? 30_000);
    for (let attempt = 0; ; attempt += 1) {
      try {
        const result = await client.appendToStream(prefix + stream, data, { streamState: streamState(expected) });
        const nextRevision = Number(result.nextExpectedRevision);
        // The result's position describes the write, not necessarily the last event's own
        // $all position across server versions; reading that event back is exact.
        const [last] = await read(stream, { fromRevision: nextRevision, limit: 1 });
        if (last === undefined)
          throw new Error(`EventStoreDB acknowledged ${stream}@${String(nextRevision)}, which cannot be read back`);
        return { kind: 'appended', nextRevision, position: last.position };
      } catch (e) {
        if (e instanceof WrongExpectedVersionError)
          return { kind: 'wrong_expected_revision', stream, expected, actual: actualRevision(e) };
        if (!isTransient(e) || Date.now() >= deadline) throw e;
        await sleep(Math.min(500, 25 * 2 ** attempt));
      }
    }
  };

  const tracked = <T>(p: Promise<T>): Promise<T> => {
    pending.add(p);
    void p.catch(() => undefined).finally(() => pending.delete(p));
    return p;
  };

  const store: EventStore = {
    append: (stream, events, expected) =>
      closing !== undefined
        ? Promise.reject(new Error('event store is closed'))
        : tracked(append(stream, events, expected)),
    read,
    readAll: async ({ after = 0, limit }) => {
      if (limit <= 0) return [];
      // Inclusive start (see eventstoredb-mapping.ts): one extra event covers the one at `after`.
      const events = await collect(
        client.readAll({
          fromPosition: after === 0 ? START : fromPosition(after),
          direction: FORWARDS,
          maxCount: limit + 1,
          filter,
        }),
        (e) => e.position > after,
      );
      return events.slice(0, limit);
    },
    subscribeAll: (after, handler, onError) => {
      const inner = esdbSubscription(client, prefix, after, handler, onError);
      const subscription: Subscription = {
        close: () => {
          subscriptions.delete(subscription);
          return inner.close();
        },
      };
      subscriptions.add(subscription);
      return subscription;
    },
    head,
    close: () =>
      (closing ??= (async () => {
        await Promise.allSettled([...pending]);
        await Promise.all([...subscriptions].map((s) => s.close()));
        await client.dispose();
      })()),
  };
  return store;
};
