import { timerChange } from '../domain/delivery/units.js';
import type { DeliveryStateStore } from '../ports/delivery-state.js';
import type { DeliveryChange, DirectoryChange, StateBatch, TimerChange, UnitState } from '../schema/delivery-state.js';

// What a follower's fold writes between two commits: the changes the pure folds computed, and
// the units it loaded and moved. Reads of units see the batch's own changes first, so two
// events of one batch about the same unit fold in order; a unit's timer follows from its
// state (domain/delivery/units.ts `wakeAt`) and is written only when it moved.
export class StateWork {
  private readonly cache = new Map<string, UnitState | null>();
  private readonly loaded = new Map<string, UnitState | undefined>();
  private readonly dirty = new Map<string, UnitState>();
  private readonly dir: DirectoryChange[] = [];
  private readonly changes: DeliveryChange[] = [];
  private readonly timed: TimerChange[] = [];

  constructor(private readonly state: DeliveryStateStore) {}

  directory(changes: readonly DirectoryChange[]): void {
    this.dir.push(...changes);
  }

  deliveries(changes: readonly DeliveryChange[]): void {
    this.changes.push(...changes);
  }

  timers(changes: readonly TimerChange[]): void {
    this.timed.push(...changes);
  }

  /** The units among `keys` that exist, as this batch has them. */
  async units(keys: readonly string[]): Promise<ReadonlyMap<string, UnitState>> {
    const missing = keys.filter((k) => !this.cache.has(k));
    if (missing.length > 0) {
      const found = await this.state.units.get(missing);
      for (const k of missing) {
        const u = found.get(k);
        this.cache.set(k, u ?? null);
        this.loaded.set(k, u);
      }
    }
    const out = new Map<string, UnitState>();
    for (const k of keys) {
      const u = this.cache.get(k);
      if (u !== undefined && u !== null) out.set(k, u);
    }
    return out;
  }

  put(units: readonly UnitState[]): void {
    for (const u of units) {
      if (!this.loaded.has(u.key)) this.loaded.set(u.key, undefined);
      this.cache.set(u.key, u);
      this.dirty.set(u.key, u);
    }
  }

  empty(): boolean {
    return this.dir.length === 0 && this.changes.length === 0 && this.timed.length === 0 && this.dirty.size === 0;
  }

  batch(checkpoint: { readonly name: string; readonly position: number }): StateBatch {
    const units = [...this.dirty.values()];
    const unitTimers = units
      .map((u) => timerChange(this.loaded.get(u.key), u))
      .filter((t): t is TimerChange => t !== undefined);
    return {
      directory: this.dir,
      units,
      deliveries: this.changes,
      timers: [...this.timed, ...unitTimers],
      checkpoint,
    };
  }
}
