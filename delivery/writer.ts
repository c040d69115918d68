import type { Append } from '../domain/delivery/intents.js';
import type { Clock } from '../ports/clock.js';
import type { EventStore } from '../ports/eventstore.js';
import type { UnitState } from '../schema/delivery-state.js';
import { reactorAppend } from './append.js';
import type { ReactorLog } from './types.js';

// Dispatch's appends (skips, claims, outcomes) at the revision the workflow decided on, through
// the write gateway. It remembers what this node wrote past the fold, so a unit is not looked
// at again before the fold has applied this node's own write to it.
export interface UnitWriter {
  /** The unit's stream's next revision, or undefined when another writer moved first or the log failed. */
  write(u: UnitState, a: Append): Promise<number | undefined>;
  /** This node wrote to the unit's stream past what the fold has applied. */
  isAhead(u: UnitState): boolean;
}

const MAX_REMEMBERED = 200_000;

export const createUnitWriter = (d: {
  readonly store: EventStore;
  readonly clock: Clock;
  readonly log: ReactorLog;
  readonly stopped: () => boolean;
}): UnitWriter => {
  const append = reactorAppend(d.store, d.clock);
  const written = new Map<string, number>();
  return {
    write: async (u, a) => {
      if (d.stopped()) return undefined;
      try {
        const r = await append(a.stream, a.events, a.revision, {
          correlationId: u.correlationId,
          causationId: u.cause,
        });
        if (r.kind !== 'appended') return undefined; // another dispatcher moved first; the fold will show what it did
        written.delete(u.key);
        written.set(u.key, r.nextRevision);
        if (written.size > MAX_REMEMBERED) written.delete(written.keys().next().value ?? '');
        return r.nextRevision;
      } catch (err) {
        d.log.error({ err, key: u.key }, 'dispatch could not write to the log; the timer will fire again');
        return undefined;
      }
    },
    isAhead: (u) => {
      const mine = written.get(u.key);
      if (mine === undefined) return false;
      if (mine <= u.revision) {
        written.delete(u.key);
        return false;
      }
      return true;
    },
  };
};
