import type { SheddingLimits } from '../schema/config-limits.js';
import type { LoadSignals } from '../ports/load.js';

// Load shedding (docs/limits.md): a new command is refused with 503 and Retry-After when the
// node already has MSGXC_SHED_QUEUE writes in flight, or its event loop runs later than
// MSGXC_SHED_LAG_MS, instead of queueing without bound. Reads are not refused: they hold no
// place in the log's queue, and a client told to retry its write can still read.
//
// "Writes in flight" is the larger of two counts. Commands admitted here and not yet answered
// are counted from the moment they are admitted, so a burst that arrives in one read of the
// socket cannot all pass before the first of it reaches the log: this bounds what this node
// holds for its callers exactly. Appends waiting for the log (every writer of this node:
// commands, reactors, check-ins) show a log that has fallen behind even when the callers
// are few.
export type Overload =
  | { readonly reason: 'queue'; readonly inFlight: number; readonly limit: number }
  | { readonly reason: 'lag'; readonly lagMs: number; readonly limit: number };

export interface Admitted {
  /** Called once the command is answered (further calls do nothing). */
  release(): void;
}

export interface Shedder {
  admit(): Admitted | Overload;
  /** Commands admitted and not yet released. */
  inProgress(): number;
  /** The most commands admitted at once since the node started. */
  peakInProgress(): number;
}

export const isOverload = (a: Admitted | Overload): a is Overload => 'reason' in a;

export const createShedder = (limits: SheddingLimits, signals: LoadSignals): Shedder => {
  let inProgress = 0;
  let peak = 0;
  return {
    admit: () => {
      const inFlight = Math.max(inProgress, signals.appendsInFlight());
      if (inFlight >= limits.maxWritesInFlight) return { reason: 'queue', inFlight, limit: limits.maxWritesInFlight };
      const lagMs = signals.eventLoopLagMs();
      if (lagMs > limits.maxLagMs) return { reason: 'lag', lagMs, limit: limits.maxLagMs };
      inProgress += 1;
      if (inProgress > peak) peak = inProgress;
      let released = false;
      return {
        release: () => {
          if (released) return;
          released = true;
          inProgress -= 1;
        },
      };
    },
    inProgress: () => inProgress,
    peakInProgress: () => peak,
  };
};
