import type { TriagePeer } from '../../delivery/runner.js';
import { waitAsync } from '../../adapters/eventstore/sqlite-handoff.js';

// MSGXC_REACTORS_THREAD=split: the triage thread's position, shared with the dispatch thread's
// scheduler and settle (delivery/runner.ts `TriagePeer`) through memory both threads see, so a
// wait costs no message per batch. Layout: the position (a 64-bit integer), then a counter
// bumped at every move (what a waiter sleeps on) and a stopped flag.
const BYTES = 16;
const RECHECK_MS = 500;

export const triagePositionBuffer = (): SharedArrayBuffer => new SharedArrayBuffer(BYTES);

const views = (buffer: SharedArrayBuffer): { position: BigInt64Array; flags: Int32Array } => ({
  position: new BigInt64Array(buffer, 0, 1),
  flags: new Int32Array(buffer, 8, 2),
});

/** The triage thread's side: publishes each move (never backwards: a restarted triage resumes from its checkpoint). */
export const triagePositionWriter = (
  buffer: SharedArrayBuffer,
): { readonly moved: (position: number) => void; readonly stopped: () => void } => {
  const { position, flags } = views(buffer);
  const bump = (): void => {
    Atomics.add(flags, 0, 1);
    Atomics.notify(flags, 0);
  };
  return {
    moved: (p) => {
      if (BigInt(p) <= Atomics.load(position, 0)) return;
      Atomics.store(position, 0, BigInt(p));
      bump();
    },
    stopped: () => {
      Atomics.store(flags, 1, 1);
      bump();
    },
  };
};

/** The dispatch thread's side. `close()` releases its waiters (the dispatch part stopped). */
export const triagePeerOf = (buffer: SharedArrayBuffer): TriagePeer & { close(): void } => {
  const { position, flags } = views(buffer);
  let closed = false;
  const at = (): number => Number(Atomics.load(position, 0));
  const done = (target: number): boolean => closed || Atomics.load(flags, 1) === 1 || at() >= target;
  return {
    position: at,
    caughtUp: async (target) => {
      for (;;) {
        const seen = Atomics.load(flags, 0);
        if (done(target)) return;
        // Woken by the next move; the timeout only rechecks `closed`, which no other thread sets.
        const waited = waitAsync(flags, 0, seen, RECHECK_MS);
        if (waited.async) await waited.value;
      }
    },
    close: () => {
      closed = true;
    },
  };
};
