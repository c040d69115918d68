import { isRight } from 'fp-ts/lib/Either.js';
import type { RecordedEvent } from '../ports/eventstore.js';
import { DomainEvent } from '../schema/events.js';
import { EventMetadata } from '../schema/metadata.js';
import type { Applied } from './projection.js';

// What every projection runner shares, whatever stores its read models: decoding a batch
// read from the log, and the waiters behind `waitFor`.

/** The subset of a pino logger the runners use. */
export interface ProjectionLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface Skipped {
  /** Types no read model knows (other components' events): expected, not logged. */
  readonly unknown: number;
  /** Known types whose data or metadata does not decode: logged, since they hint at a bug. */
  readonly invalid: number;
}

const KNOWN = new Set<string>(DomainEvent.types.map((c) => c.name));

export interface DecodedBatch {
  readonly events: readonly { readonly event: DomainEvent; readonly at: Applied }[];
  /** Known types that did not decode. */
  readonly bad: readonly RecordedEvent[];
  readonly unknown: number;
  /** The newest position in the batch, or `after` when it held nothing new. */
  readonly last: number;
}

/** Decodes the events after `after` (a redelivered prefix is dropped), in log order. */
export const decodeBatch = (batch: readonly RecordedEvent[], after: number): DecodedBatch => {
  let last = after;
  const events: { event: DomainEvent; at: Applied }[] = [];
  const bad: RecordedEvent[] = [];
  let unknown = 0;
  for (const r of batch) {
    if (r.position <= last) continue;
    last = r.position;
    const event = DomainEvent.decode({ type: r.type, data: r.data });
    const meta = EventMetadata.decode(r.metadata);
    if (isRight(event) && isRight(meta))
      events.push({ event: event.right, at: { position: r.position, occurredAt: meta.right.occurredAt } });
    else if (KNOWN.has(r.type)) bad.push(r);
    else unknown += 1;
  }
  return { events, bad, unknown, last };
};

export const DEFAULT_WAIT_MS = 5_000;

interface Waiter {
  readonly position: number;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

export interface Waiters {
  /** Resolves once `notify` reports `target` (at once if `position()` is there already), or rejects after `timeoutMs`. */
  wait(target: number, position: () => number, timeoutMs?: number): Promise<void>;
  notify(position: number): void;
  rejectAll(e: Error): void;
}

export const createWaiters = (): Waiters => {
  const waiters = new Set<Waiter>();
  return {
    wait: (target, position, timeoutMs = DEFAULT_WAIT_MS) => {
      if (target <= position()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`projection at position ${position()} did not reach ${target} within ${timeoutMs} ms`));
        }, timeoutMs);
        const w: Waiter = {
          position: target,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        };
        waiters.add(w);
      });
    },
    notify: (position) => {
      for (const w of waiters)
        if (w.position <= position) {
          waiters.delete(w);
          w.resolve();
        }
    },
    rejectAll: (e) => {
      for (const w of waiters) w.reject(e);
      waiters.clear();
    },
  };
};
