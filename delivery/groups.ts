import type { Append } from '../domain/delivery/intents.js';
import type { UnitState } from '../schema/delivery-state.js';
import type { DeliveryEvent } from '../schema/triage-events.js';
import type { UnitWrite } from './writer.js';

/** Per-unit appends gathered by group stream, to be written in one batched append each. */
export class Groups {
  private readonly byStream = new Map<string, UnitWrite[]>();

  add(a: Append, unit: UnitState): void {
    const events = a.events as readonly DeliveryEvent[];
    const list = this.byStream.get(a.stream) ?? [];
    list.push({ unit, revision: a.revision, events });
    this.byStream.set(a.stream, list);
  }

  all(): IterableIterator<[string, UnitWrite[]]> {
    return this.byStream.entries();
  }
}
