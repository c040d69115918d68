import type { FoldsPeer } from '../../delivery/runner.js';
import { waitAsync } from '../../adapters/eventstore/sqlite-handoff.js';

// MSGXC_REACTORS_THREAD=split: what the folds' thread tells the sends' thread (delivery/runner.ts
// `FoldsPeer`, `onWake`), in memory both threads see, so neither a batch's position nor its wake
// costs a message: the position both folds applied (what the scheduler's start-up and settle
// wait for) and the earliest timer a batch set (what the scheduler wakes for). Layout: the
// position and the earliest reported due time (64-bit integers; NONE: no timer reported since
// the last wake was taken), then three counters: position moves, a stopped flag, wakes.
const NONE = 2n ** 62n;
const RECHECK_MS = 500;
const MOVES = 0;
const STOPPED = 1;
const WAKES = 2;

export const foldsBuffer = (): SharedArrayBuffer => {
  const buffer = new SharedArrayBuffer(32);
  new BigInt64Array(buffer, 0, 2)[1] = NONE;
  return buffer;
};

const views = (buffer: SharedArrayBuffer): { big: BigInt64Array; flags: Int32Array } => ({
  big: new BigInt64Array(buffer, 0, 2),
  flags: new Int32Array(buffer, 16, 4),
});

const bump = (flags: Int32Array, index: number): void => {
  Atomics.add(flags, index, 1);
  Atomics.notify(flags, index);
};

export interface FoldsWriter {
  /** Never backwards: a restarted folds thread resumes from its checkpoints, behind what it had applied. */
  readonly moved: (position: number) => void;
  readonly wake: (earliest?: number) => void;
  readonly stopped: () => void;
}

/** The folds' thread's side. */
export const foldsWriter = (buffer: SharedArrayBuffer): FoldsWriter => {
  const { big, flags } = views(buffer);
  return {
    moved: (p) => {
      if (BigInt(p) <= Atomics.load(big, 0)) return;
      Atomics.store(big, 0, BigInt(p));
      bump(flags, MOVES);
    },
    wake: (earliest) => {
      if (earliest !== undefined) {
        const want = BigInt(Math.floor(earliest));
        for (let seen = Atomics.load(big, 1); want < seen; ) {
          const was = Atomics.compareExchange(big, 1, seen, want);
          if (was === seen) break;
          seen = was;
        }
      }
      bump(flags, WAKES);
    },
    stopped: () => {
      Atomics.store(flags, STOPPED, 1);
      bump(flags, MOVES);
    },
  };
};

/** Sleeps until `flags[index]` moves from `seen` (or RECHECK_MS passed). */
const moved = async (flags: Int32Array, index: number, seen: number): Promise<void> => {
  const waited = waitAsync(flags, index, seen, RECHECK_MS);
  if (waited.async) await waited.value;
};

/**
 * The sends' thread's side: the folds as a peer, and their wakes passed to `onWake` as they
 * come. `close()` releases its waiters and ends the wakes (the sends part stopped).
 */
export const foldsPeerOf = (
  buffer: SharedArrayBuffer,
  onWake: (earliest?: number) => void,
): FoldsPeer & { readonly close: () => void } => {
  const { big, flags } = views(buffer);
  let closed = false;
  const at = (): number => Number(Atomics.load(big, 0));
  const done = (target: number): boolean => closed || Atomics.load(flags, STOPPED) === 1 || at() >= target;
  // A function, not the variable: close() flips it while the loop awaits.
  const isClosed = (): boolean => closed;
  const wakes = async (): Promise<void> => {
    for (let seen = Atomics.load(flags, WAKES); !isClosed(); ) {
      await moved(flags, WAKES, seen);
      const now = Atomics.load(flags, WAKES);
      if (now === seen || isClosed()) continue;
      seen = now;
      const earliest = Atomics.exchange(big, 1, NONE);
      onWake(earliest === NONE ? undefined : Number(earliest));
    }
  };
  void wakes();
  return {
    position: at,
    caughtUp: async (target) => {
      for (;;) {
        const seen = Atomics.load(flags, MOVES);
        if (done(target)) return;
        await moved(flags, MOVES, seen);
      }
    },
    close: () => {
      closed = true;
    },
  };
};
