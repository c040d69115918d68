import type { Append } from '../domain/delivery/intents.js';
import type { UnitState } from '../schema/delivery-state.js';
import type { DeliveryEvent, TriageEvent } from '../schema/triage-events.js';
import { isBatchDelivery } from '../domain/delivery/batches.js';
import type { GroupPart } from '../domain/delivery/group-dispatch.js';
import type { UnitWrite } from './writer.js';

const isUnitFact = (e: TriageEvent): e is DeliveryEvent =>
  e.type !== 'MessageDue' && e.type !== 'MessageTriaged' && !isBatchDelivery(e);

/** Per-unit appends gathered by group stream, to be written in one batched append each. */
export class Groups {
  private readonly byStream = new Map<string, UnitWrite[]>();

  add(a: Append, unit: UnitState): void {
    // Dispatch's appends to a group stream carry per-unit delivery events only.
    const events = a.events.filter(isUnitFact);
    const list = this.byStream.get(a.stream) ?? [];
    list.push({ unit, revision: a.revision, events });
    this.byStream.set(a.stream, list);
  }

  /** A unit decided as its entry in the group's batched events (group-dispatch.ts). */
  addPart(stream: string, unit: UnitState, revision: number, part: GroupPart): void {
    const list = this.byStream.get(stream) ?? [];
    list.push({ unit, revision, events: [], part });
    this.byStream.set(stream, list);
  }

  all(): IterableIterator<[string, UnitWrite[]]> {
    return this.byStream.entries();
  }
}
