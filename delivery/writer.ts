import { batchOfParts, compact, entryKeys, isBatchDelivery, partEvents } from '../domain/delivery/batches.js';
import type { GroupPart } from '../domain/delivery/group-dispatch.js';
import type { Append } from '../domain/delivery/intents.js';
import type { Clock } from '../ports/clock.js';
import type { EventStore } from '../ports/eventstore.js';
import type { UnitState } from '../schema/delivery-state.js';
import type { BatchDeliveryEvent, DeliveryEvent } from '../schema/triage-events.js';
import { TriageEvent } from '../schema/triage-events.js';
import { DELIVERY_GUARDS } from '../schema/delivery-guards.js';
import { REACTOR_APPEND_BYTES, dataBytes, reactorAppend } from './append.js';
import type { ReactorLog } from './types.js';

// Dispatch's appends (skips, claims, outcomes) at the revision the workflow decided on, through
// the write gateway. It remembers what this node wrote past the fold, so a unit is not looked
// at again before the fold has applied this node's own write to it.
//
// The units of one group stream (a channel of a triage batch) are written together: their
// per-unit decisions become one batched event per kind (domain/delivery/batches.ts), appended
// at the revision the decisions were made on (the newest of theirs). Several dispatch jobs and
// nodes write to one group, so when the stream moved meanwhile the writer reads what was
// appended since: a unit those events touched is dropped (its decision was made on a state
// that is no longer current: exactly what a per-unit stream's revision refused), the others
// are appended again at the new head. No unit is ever written past a fact it did not see.
export interface UnitWrite {
  readonly unit: UnitState;
  /** The unit's decision was made at this revision of the group stream. */
  readonly revision: number;
  readonly events: readonly DeliveryEvent[];
  /** The unit's decision as its entry in the group's batched events (group-dispatch.ts), instead of `events`. */
  readonly part?: GroupPart;
}

// The group's batched events for its units' decisions: straight from their entries when every
// one was decided as an entry (a job's quick path), else compacted from per-unit events.
const batchOf = (live: readonly UnitWrite[]): BatchDeliveryEvent[] | undefined => {
  const parts: GroupPart[] = [];
  for (const w of live) if (w.part !== undefined) parts.push(w.part);
  const first = live[0];
  if (first?.unit.mid == null) return undefined;
  const { mid, channel } = first.unit;
  if (parts.length === live.length) return batchOfParts(mid, channel, parts);
  return compact(live.flatMap((w) => (w.part === undefined ? w.events : partEvents(mid, channel, w.part))));
};

export interface UnitWriter {
  /** The unit's stream's next revision, or undefined when another writer moved first or the log failed. */
  write(u: UnitState, a: Append): Promise<number | undefined>;
  /** Writes to one group stream: the revision each written unit's facts got (units left out were not written). */
  writeGroup(stream: string, writes: readonly UnitWrite[]): Promise<ReadonlyMap<string, number>>;
  /** This node wrote to the unit's own stream past what the fold has applied (a group's steps: `isGroupAhead`). */
  isAhead(u: UnitState): boolean;
  /** This node wrote to a group stream past `revision` (what the fold has applied of it). */
  isGroupAhead(stream: string, revision: number): boolean;
}

const MAX_REMEMBERED = 200_000;
/** Rounds of "the group moved: read what changed, append the rest again" before giving up for this pass. */
const MAX_REBASES = 16;

/** The unit keys an event recorded in a group stream is about. */
export const touched = (type: string, data: unknown): string[] => {
  // A plan or a due message touches no unit, whether it decodes or not.
  if (type === 'MessageDue' || type === 'MessageTriaged') return [];
  // A batched event its type's guard accepts is what its decode gives back (the codecs transform
  // nothing; schema/delivery-guards.ts): its entries' keys without io-ts's decode, which was
  // most of a rebase's cost when jobs met in a broadcast's group (issue 13).
  const candidate = { type, data };
  if (DELIVERY_GUARDS.get(type)?.(candidate) === true) return entryKeys(candidate as BatchDeliveryEvent);
  const decoded = TriageEvent.decode(candidate);
  if (decoded._tag === 'Left') return [];
  const e = decoded.right;
  if (isBatchDelivery(e)) return entryKeys(e);
  return e.type === 'MessageDue' || e.type === 'MessageTriaged' ? [] : [e.data.key];
};

export const createUnitWriter = (d: {
  readonly store: EventStore;
  readonly clock: Clock;
  readonly log: ReactorLog;
  readonly stopped: () => boolean;
}): UnitWriter => {
  const append = reactorAppend(d.store, d.clock);
  const written = new Map<string, number>();
  const remembered = (memory: Map<string, number>, key: string, revision: number): void => {
    memory.delete(key);
    memory.set(key, revision);
    if (memory.size > MAX_REMEMBERED) memory.delete(memory.keys().next().value ?? '');
  };
  const remember = (key: string, revision: number): void => {
    remembered(written, key, revision);
  };
  const writtenGroups = new Map<string, number>();

  const writeGroup = async (stream: string, writes: readonly UnitWrite[]): Promise<ReadonlyMap<string, number>> => {
    // A job's outcomes over REACTOR_APPEND_BYTES (500 pushes answered with a provider's error
    // page of 1,024 CJK characters: 1.5 MB) were refused by JetStream on every try: the sends
    // were made and never recorded, and their timers fire again. Halves are written one after
    // the other; the second meets the first as a moved group and rebases.
    const whole = writes.length > 1 ? batchOf(writes) : undefined;
    if (whole !== undefined && dataBytes(whole) > REACTOR_APPEND_BYTES) {
      const half = Math.ceil(writes.length / 2);
      const first = await writeGroup(stream, writes.slice(0, half));
      const rest = await writeGroup(stream, writes.slice(half));
      return new Map([...first, ...rest]);
    }
    const out = new Map<string, number>();
    let live = [...writes];
    let expected = Math.max(...live.map((w) => w.revision));
    for (let round = 0; round < MAX_REBASES && live.length > 0 && !d.stopped(); round++) {
      const events = batchOf(live);
      const first = live[0];
      if (events === undefined || first === undefined) throw new Error(`not one group: ${stream}`);
      const r = await append(stream, events, expected, {
        correlationId: first.unit.correlationId,
        causationId: first.unit.cause,
      });
      if (r.kind === 'appended') {
        const base = r.nextRevision - events.length + 1;
        // Remembered per group only: a group's steps are looked at again only through the
        // group (the scheduler skips a group this node wrote past the fold, `isGroupAhead`, before
        // reading its steps), so a memory per step held up to MAX_REMEMBERED keys during a
        // broadcast for nothing (issue 13). A step read another way (a restarted node's earlier
        // claims) and decided again meets the group's revision, as any stale decision.
        remembered(writtenGroups, stream, r.nextRevision);
        events.forEach((e, i) => {
          for (const key of entryKeys(e)) out.set(key, base + i);
        });
        return out;
      }
      // The group moved: keep only the units nothing since `expected` touched.
      const since = await d.store.read(stream, { fromRevision: expected + 1 });
      const moved = new Set(since.flatMap((e) => touched(e.type, e.data)));
      live = live.filter((w) => !moved.has(w.unit.key));
      expected = since[since.length - 1]?.revision ?? r.actual;
    }
    return out;
  };

  return {
    write: async (u, a) => {
      if (d.stopped()) return undefined;
      try {
        const r = await append(a.stream, a.events, a.revision, {
          correlationId: u.correlationId,
          causationId: u.cause,
        });
        if (r.kind !== 'appended') return undefined; // another dispatcher moved first; the fold will show what it did
        remember(u.key, r.nextRevision);
        return r.nextRevision;
      } catch (err) {
        d.log.error({ err, key: u.key }, 'dispatch could not write to the log; the timer will fire again');
        return undefined;
      }
    },
    writeGroup: async (stream, writes) => {
      if (d.stopped() || writes.length === 0) return new Map();
      try {
        return await writeGroup(stream, writes);
      } catch (err) {
        d.log.error({ err, stream }, 'dispatch could not write to the log; the timers will fire again');
        return new Map();
      }
    },
    isGroupAhead: (stream, revision) => {
      const mine = writtenGroups.get(stream);
      if (mine === undefined) return false;
      if (mine <= revision) {
        writtenGroups.delete(stream);
        return false;
      }
      return true;
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
