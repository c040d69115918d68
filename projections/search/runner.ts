import { isRight } from 'fp-ts/lib/Either.js';
import type { EventStore, RecordedEvent, Subscription } from '../../ports/eventstore.js';
import type { SearchWriter } from '../../ports/search.js';
import { DomainEvent } from '../../schema/events.js';
import { EventMetadata } from '../../schema/metadata.js';
import type { ProjectionLog, Skipped } from '../runner.js';
import type { ProjectionRunner, ProjectionStatus, RebuildReport } from '../../ports/projections.js';
import { toOps } from './batch.js';
import { planBatch } from './plan.js';
import type { PlannedEvent } from './plan.js';
import { abortableSleep, createWaiters } from './waiters.js';

// Follows the log from the search store's own checkpoint and writes each batch with one
// port `write`, which stores the checkpoint only after the documents. A failed batch is
// retried (backoff up to `retry.maxMs`) until it succeeds or the runner stops, so a search
// engine that was briefly away does not need a new append to catch up again.

export interface SearchProjectionOptions {
  readonly store: EventStore;
  readonly index: SearchWriter;
  /** Checkpoint name (default `search`). */
  readonly name?: string;
  readonly log?: ProjectionLog;
  /** Events per read while rebuilding (default 1000). */
  readonly pageSize?: number;
  readonly retry?: { readonly firstMs: number; readonly maxMs: number };
}

export interface SearchProjectionRunner extends ProjectionRunner {
  skipped(): Skipped;
  /** Failed write attempts so far, and the last failure's message. */
  health(): { readonly failures: number; readonly lastError: string | null };
}

const KNOWN = new Set<string>(DomainEvent.types.map((c) => c.name));
const HANDLED = new Set<string>(['MessagePublished', 'MessageCancelled', 'MessageRetracted', 'MessagesAcknowledged']);

export const createSearchProjectionRunner = (options: SearchProjectionOptions): SearchProjectionRunner => {
  const { store, index, log, pageSize = 1_000 } = options;
  const name = options.name ?? 'search';
  const retry = options.retry ?? { firstMs: 100, maxMs: 5_000 };
  let position = 0;
  const skipped = { unknown: 0, invalid: 0 };
  const health = { failures: 0, lastError: null as string | null };
  const waiters = createWaiters(() => position);
  const active = new Set<AbortController>();
  interface Session {
    readonly abort: AbortController;
    ready: Promise<void>;
    sub?: Subscription;
  }
  let session: Session | undefined;
  let rebuilding: Promise<RebuildReport> | undefined;

  const decode = (events: readonly RecordedEvent[]) => {
    const planned: PlannedEvent[] = [];
    const bad: RecordedEvent[] = [];
    let unknown = 0;
    for (const r of events) {
      if (!KNOWN.has(r.type)) {
        unknown += 1;
        continue;
      }
      if (!HANDLED.has(r.type)) continue;
      const event = DomainEvent.decode({ type: r.type, data: r.data });
      const meta = EventMetadata.decode(r.metadata);
      if (isRight(event) && isRight(meta) && !Number.isNaN(Date.parse(meta.right.occurredAt))) {
        planned.push({ event: event.right, occurredAt: meta.right.occurredAt });
      } else bad.push(r);
    }
    return { planned, bad, unknown };
  };

  const applyOnce = async (events: readonly RecordedEvent[]): Promise<void> => {
    const fresh = events.filter((r) => r.position > position); // redelivered: already written
    const last = fresh[fresh.length - 1];
    if (last === undefined) return;
    const { planned, bad, unknown } = decode(fresh);
    await index.write(await toOps(planBatch(planned), index), { name, position: last.position });
    position = last.position;
    skipped.unknown += unknown;
    skipped.invalid += bad.length;
    for (const r of bad)
      log?.warn(
        { position: r.position, type: r.type, stream: r.stream },
        'search projection skipped an undecodable event',
      );
    waiters.notify();
  };

  const apply = async (events: readonly RecordedEvent[], signal: AbortSignal): Promise<void> => {
    for (let attempt = 0; ; attempt += 1) {
      signal.throwIfAborted();
      try {
        await applyOnce(events);
        return;
      } catch (e) {
        health.failures += 1;
        health.lastError = e instanceof Error ? e.message : String(e);
        log?.error({ err: e, position, attempt }, 'search projection batch failed; retrying');
        await abortableSleep(Math.min(retry.maxMs, retry.firstMs * 2 ** attempt), signal);
      }
    }
  };

  const controller = (): AbortController => {
    const c = new AbortController();
    active.add(c);
    return c;
  };

  const start = (): void => {
    if (session !== undefined) return;
    const abort = controller();
    const s: Session = { abort, ready: Promise.resolve() };
    session = s;
    s.ready = (async () => {
      for (let attempt = 0; ; attempt += 1) {
        try {
          position = await index.checkpoint(name);
          break;
        } catch (e) {
          log?.error({ err: e, attempt }, 'search projection cannot read its checkpoint; retrying');
          await abortableSleep(Math.min(retry.maxMs, retry.firstMs * 2 ** attempt), abort.signal);
        }
      }
      waiters.notify();
      s.sub = store.subscribeAll(
        position,
        (events) => apply(events, abort.signal),
        (e) => {
          if (!abort.signal.aborted)
            log?.error({ err: e, position }, 'search projection subscription failed; resuming on the next append');
        },
      );
    })().catch(() => undefined);
  };

  const closeSession = async (): Promise<void> => {
    const s = session;
    session = undefined;
    if (s === undefined) return;
    s.abort.abort();
    active.delete(s.abort);
    await s.ready;
    await s.sub?.close();
  };

  const replayAll = async (onProgress?: (position: number, head: number) => void): Promise<RebuildReport> => {
    const wasRunning = session !== undefined;
    await closeSession();
    const abort = controller();
    let replayed = 0;
    try {
      await index.reset();
      position = 0;
      skipped.unknown = 0;
      skipped.invalid = 0;
      const head = await store.head();
      for (;;) {
        const batch = await store.readAll({ after: position, limit: pageSize });
        if (batch.length === 0) break;
        await apply(batch, abort.signal);
        replayed += batch.length;
        onProgress?.(position, Math.max(head, position));
      }
    } finally {
      active.delete(abort);
    }
    if (wasRunning) start();
    return { replayed };
  };

  return {
    start,
    // Visible to queries, not only written: the engine is refreshed once the position is reached.
    waitFor: async (target, timeoutMs) => {
      await waiters.reach(target, timeoutMs);
      await index.refresh();
    },
    status: (): readonly ProjectionStatus[] => [{ name, position }],
    skipped: () => ({ ...skipped }),
    health: () => ({ ...health }),
    rebuild: (onProgress) => {
      rebuilding ??= replayAll(onProgress).finally(() => {
        rebuilding = undefined;
      });
      return rebuilding;
    },
    stop: async () => {
      for (const c of active) c.abort();
      active.clear();
      await closeSession();
      waiters.rejectAll(new Error('search projection runner stopped'));
    },
  };
};
