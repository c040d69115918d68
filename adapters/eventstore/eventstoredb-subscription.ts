import { START, streamNameFilter } from '@kurrent/kurrentdb-client';
import type { AllStreamResolvedEvent, AllStreamSubscription, KurrentDBClient } from '@kurrent/kurrentdb-client';
import { fromPosition, toRecordedEvent } from './eventstoredb-mapping.js';
import type { BatchHandler, RecordedEvent, Subscription } from '../../ports/eventstore.js';

// subscribeAll on EventStoreDB's own catch-up subscription to $all: it replays from the
// position, then turns live, server-side filtered to our stream prefix (which also leaves
// out system events). NOT RUN AGAINST A SERVER HERE; see eventstoredb-mapping.ts.
//
// Batches: whatever the subscription has buffered (up to MAX_BATCH events) goes to the
// handler at once, and nothing more is read until it settles, so the gRPC stream's
// backpressure holds the server back while a projection is slow. If the subscription
// drops or the handler fails, onError hears of it and a new subscription starts from the
// last position handled, after RETRY_MS.
const MAX_BATCH = 500;
const RETRY_MS = 1_000;

export const esdbSubscription = (
  client: KurrentDBClient,
  prefix: string,
  after: number,
  handler: BatchHandler,
  onError: (e: unknown) => void = () => undefined,
): Subscription => {
  let position = after;
  let closed = false;
  let current: AllStreamSubscription | undefined;
  let cancelPause: (() => void) | undefined;
  const isClosed = (): boolean => closed;

  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      cancelPause = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  // Resolves when the stream may have something to read, or has ended or failed.
  const changed = (sub: AllStreamSubscription): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        sub.off('readable', done).off('end', done).off('close', done).off('error', done);
        resolve();
      };
      sub.on('readable', done).on('end', done).on('close', done).on('error', done);
    });

  const nextBatch = async (
    sub: AllStreamSubscription,
    failed: () => Error | undefined,
  ): Promise<AllStreamResolvedEvent[] | undefined> => {
    for (;;) {
      const batch: AllStreamResolvedEvent[] = [];
      for (
        let item = sub.read() as AllStreamResolvedEvent | null;
        item !== null;
        item = batch.length < MAX_BATCH ? (sub.read() as AllStreamResolvedEvent | null) : null
      ) {
        batch.push(item);
      }
      if (batch.length > 0) return batch;
      const failure = failed();
      if (failure !== undefined) throw failure;
      if (isClosed() || sub.readableEnded || sub.destroyed) return undefined;
      await changed(sub);
    }
  };

  const runOnce = async (): Promise<void> => {
    const sub = client.subscribeToAll({
      fromPosition: position === 0 ? START : fromPosition(position),
      filter: streamNameFilter({ prefixes: [prefix] }),
    });
    current = sub;
    // Always listened to: an 'error' event with no listener would crash the process.
    let failure: Error | undefined;
    sub.on('error', (e) => {
      failure = e;
    });
    try {
      for (;;) {
        const raw = await nextBatch(sub, () => failure);
        if (raw === undefined) {
          if (isClosed()) return;
          throw new Error('the EventStoreDB subscription ended');
        }
        // The start position is inclusive on some servers and exclusive on others.
        const events = raw
          .map((r) => toRecordedEvent(prefix, r))
          .filter((e): e is RecordedEvent => e !== undefined && e.position > position);
        const last = events[events.length - 1];
        if (last === undefined) continue;
        await handler(events);
        position = last.position;
      }
    } finally {
      current = undefined;
      await sub.unsubscribe().catch(() => undefined);
    }
  };

  const loop = (async () => {
    while (!isClosed()) {
      try {
        await runOnce();
      } catch (e) {
        if (isClosed()) return;
        onError(e);
        await pause(RETRY_MS);
      }
    }
  })();

  return {
    close: async () => {
      closed = true;
      cancelPause?.();
      await current?.unsubscribe().catch(() => undefined);
      await loop;
    },
  };
};
