import type { EventStore, ReadAllOptions, RecordedEvent } from '../../ports/eventstore.js';

// A log whose page reads (`readAll`, what a rebuild reads) a test can make fail or hold part-way,
// as a log outage or a slow log would, while appends and subscriptions (what the live follower
// uses) go on untouched. Nothing is faked: every page it serves comes from the real store.

export interface LogFaults {
  /** Pages served since the last failAfter/holdAfter. */
  pages(): number;
  /** After `n` more pages, every page read fails until heal(). */
  failAfter(n: number): void;
  /** After `n` more pages, the next page read waits until release(); resolves once one waits. */
  holdAfter(n: number): Promise<void>;
  release(): void;
  heal(): void;
}

export const REFUSED = 'the log refused a page read (test fault)';

export const faultyLog = (inner: EventStore): { readonly store: EventStore; readonly faults: LogFaults } => {
  let served = 0;
  let failAt: number | undefined;
  let holdAt: number | undefined;
  let holding: { readonly waited: () => void; readonly gate: Promise<void>; readonly open: () => void } | undefined;
  const readAll = async (options: ReadAllOptions): Promise<readonly RecordedEvent[]> => {
    if (failAt !== undefined && served >= failAt) throw new Error(REFUSED);
    if (holdAt !== undefined && served >= holdAt && holding !== undefined) {
      holding.waited();
      await holding.gate;
    }
    const page = await inner.readAll(options);
    served += 1;
    return page;
  };
  const store: EventStore = {
    append: (stream, events, expected) => inner.append(stream, events, expected),
    read: (stream, options) => inner.read(stream, options),
    readAll,
    subscribeAll: (after, handler, onError) => inner.subscribeAll(after, handler, onError),
    head: () => inner.head(),
    close: () => inner.close(),
  };
  const faults: LogFaults = {
    pages: () => served,
    failAfter: (n) => {
      served = 0;
      failAt = n;
    },
    holdAfter: (n) =>
      new Promise<void>((waited) => {
        served = 0;
        holdAt = n;
        let open: () => void = () => undefined;
        const gate = new Promise<void>((resolve) => {
          open = resolve;
        });
        holding = { waited, gate, open };
      }),
    release: () => {
      holding?.open();
      holding = undefined;
      holdAt = undefined;
    },
    heal: () => {
      failAt = undefined;
    },
  };
  return { store, faults };
};
