// Helpers of the EventStore contract: events, append results, and subscriptions that collect
// what they are handed (eventstore.contract.ts, eventstore-subscribe.contract.ts).
import type {
  AppendResult,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  RecordedEvent,
} from '../../ports/eventstore.js';
import type { EventMetadata } from '../../schema/metadata.js';

let eventSeq = 0;
export const meta = (extra: Partial<EventMetadata> = {}): EventMetadata => ({
  eventId: `evt-${String(++eventSeq)}`,
  occurredAt: '2024-05-01T12:00:00.000Z',
  actor: { uid: 'user-1', roles: ['publisher'] },
  correlationId: 'corr-1',
  causationId: 'cause-1',
  ...extra,
});
export const ev = (type: string, data: unknown = {}): EventToAppend => ({ type, data, metadata: meta() });
export const evs = (n: number, prefix = 'E'): EventToAppend[] =>
  Array.from({ length: n }, (_, i) => ev(`${prefix}${String(i)}`, { i }));

export const appended = (r: AppendResult): { nextRevision: number; position: number } => {
  if (r.kind !== 'appended') throw new Error(`expected an append, got ${JSON.stringify(r)}`);
  return r;
};
export const conflict = (stream: string, expected: ExpectedRevision, actual: number): AppendResult => ({
  kind: 'wrong_expected_revision',
  stream,
  expected,
  actual,
});

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
export const waitFor = async (cond: () => boolean, what: string, timeoutMs = 5_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
};
export const positions = (events: readonly RecordedEvent[]): number[] => events.map((e) => e.position);
export const isStrictlyIncreasing = (xs: readonly number[]): boolean =>
  xs.every((x, i) => i === 0 || x > (xs[i - 1] ?? x));

export interface Collected {
  batches: RecordedEvent[][];
  errors: unknown[];
  events: () => RecordedEvent[];
}
export const collector = (): Collected & { handler: (b: readonly RecordedEvent[]) => Promise<void> } => {
  const batches: RecordedEvent[][] = [];
  return {
    batches,
    errors: [],
    events: () => batches.flat(),
    handler: (b) => {
      batches.push([...b]);
      return Promise.resolve();
    },
  };
};
export const subscribe = (store: EventStore, after: number): Collected & { close: () => Promise<void> } => {
  const c = collector();
  const sub = store.subscribeAll(after, c.handler, (e) => c.errors.push(e));
  return { ...c, close: () => sub.close() };
};

// Evidence instead of a pause: an event appended last, once a subscription has it, proves it
// was handed everything before it (delivery is in log order), so a duplicate or a gap before
// the fence would already show.
export const fence = async (store: EventStore, ...subs: readonly Collected[]): Promise<number> => {
  const r = await store.append('fence', evs(1), 'any');
  if (r.kind !== 'appended') throw new Error('fence append refused');
  await waitFor(() => subs.every((x) => x.events().some((e) => e.position === r.position)), 'the fence');
  return r.position;
};
/** A fresh subscription from `after` that has seen everything up to the head: the store has delivered what it has. */
export const probeDelivered = async (store: EventStore, after: number): Promise<void> => {
  const head = await store.head();
  const probe = subscribe(store, after);
  try {
    await waitFor(() => probe.events().some((e) => e.position === head), 'a probe subscription to reach the head');
  } finally {
    await probe.close();
  }
};
