import { groupWakeAt, timerChange } from '../domain/delivery/units.js';
import type { At } from '../domain/delivery/units.js';
import {
  foldPacked,
  isFoldable,
  packedGroupWakeAt,
  plannedGroups,
  stepIndex,
} from '../domain/delivery/packed-group.js';
import type { EventOf } from '../schema/events.js';
import { isGroupStream } from '../domain/triage/keys.js';
import type { DeliveryStateStore } from '../ports/delivery-state.js';
import type {
  DeliveryChange,
  DirectoryChange,
  GroupWrite,
  StateBatch,
  TimerChange,
  UnitState,
} from '../schema/delivery-state.js';
import { appendAll } from '../domain/append-all.js';
import { EMPTY_GROUP, packGroup, unpackGroup } from '../schema/group-row.js';
import type { PackedGroup } from '../schema/group-row.js';
import type { BatchDeliveryEvent } from '../schema/triage-events.js';

// What a follower's fold writes between two commits: the changes the pure folds computed, and
// the units it loaded and moved. Reads of units see the batch's own changes first, so two
// events of one batch about the same unit fold in order. The steps of a group stream are
// loaded and written as their group (one row, one timer: the earliest wake-up of its steps),
// so a batched claim of hundreds of recipients is one read and one write; other units (digests,
// members, steps whose facts are in their own stream) one by one, each with its own timer
// (domain/delivery/units.ts `wakeAt`), written only when it moved.
interface Group {
  readonly keys: Set<string>;
  readonly wake: number | undefined;
  dirty: boolean;
}

/** A group kept packed, with its steps' positions by key once someone needed them. */
export interface HeldGroup {
  readonly group: PackedGroup;
  readonly index?: ReadonlyMap<string, number>;
}

/**
 * The groups a fold committed last, as committed, packed (only the dispatch fold writes them):
 * the next batch's claim or outcome for a group it just planned or moved is folded without
 * reading the group's row again. Bounded: the groups of the last few batches.
 */
export class GroupCache {
  private readonly groups = new Map<string, HeldGroup>();
  constructor(private readonly limit = 64) {}

  get(stream: string): HeldGroup | undefined {
    return this.groups.get(stream);
  }

  set(stream: string, held: HeldGroup): void {
    this.groups.delete(stream);
    this.groups.set(stream, held);
    if (this.groups.size > this.limit) this.groups.delete(this.groups.keys().next().value ?? '');
  }
}

// A group a batch holds packed: as it is now, and its wake-up time as committed (its timer).
interface Packed {
  group: PackedGroup;
  index: ReadonlyMap<string, number> | undefined;
  readonly wake: number | undefined;
  dirty: boolean;
}

export class StateWork {
  private readonly cache = new Map<string, UnitState>();
  /** Keys looked for and not found. */
  private readonly absent = new Set<string>();
  private readonly loaded = new Map<string, UnitState | undefined>();
  private readonly dirty = new Map<string, UnitState>();
  private readonly groups = new Map<string, Group>();
  /** Groups kept packed (a batched event's), not as units: never in `groups` at the same time. */
  private readonly packed = new Map<string, Packed>();
  /** A grouped step's group (its stream while grouped). */
  private readonly groupOf = new Map<string, string>();
  private readonly dir: DirectoryChange[] = [];
  /** The users who enlisted each device in this batch (device-enlisted changes), in order. */
  private readonly enlisted = new Map<string, string[]>();
  private readonly changes: DeliveryChange[] = [];
  private readonly timed: TimerChange[] = [];

  /** The groups the last batch wrote, to be cached once it is committed. */
  private written: readonly (readonly [string, HeldGroup])[] = [];

  constructor(
    private readonly state: DeliveryStateStore,
    private readonly groupCache?: GroupCache,
  ) {}

  directory(changes: readonly DirectoryChange[]): void {
    appendAll(this.dir, changes);
    for (const c of changes) {
      if (c.type !== 'device-enlisted') continue;
      const uids = this.enlisted.get(c.deviceId);
      if (uids === undefined) this.enlisted.set(c.deviceId, [c.uid]);
      else uids.push(c.uid);
    }
  }

  /** Who enlisted `deviceId` in this batch so far: not in the directory until it is committed. */
  enlistersOf(deviceId: string): readonly string[] {
    return this.enlisted.get(deviceId) ?? [];
  }

  deliveries(changes: readonly DeliveryChange[]): void {
    appendAll(this.changes, changes);
  }

  timers(changes: readonly TimerChange[]): void {
    appendAll(this.timed, changes);
  }

  private adopt(stream: string, units: readonly UnitState[], held?: Packed): void {
    const keys = new Set<string>();
    for (const u of units) {
      keys.add(u.key);
      this.cache.set(u.key, u);
      this.groupOf.set(u.key, stream);
    }
    // A group held packed until now keeps its committed wake-up time and whether it moved.
    this.groups.set(stream, {
      keys,
      wake: held === undefined ? groupWakeAt(units) : held.wake,
      dirty: held?.dirty ?? false,
    });
  }

  /** A group held packed, as units from now on (an event other than a batched one is about it). */
  private unpack(stream: string): void {
    const held = this.packed.get(stream);
    if (held === undefined) return;
    this.packed.delete(stream);
    this.adopt(stream, unpackGroup(stream, held.group), held);
  }

  /**
   * Folds a batched claim, skip or outcome into its group kept packed (domain/delivery/packed-group.ts);
   * false when the group is held as units, or has a step kept whole: fold it as units then.
   */
  async foldBatched(e: BatchDeliveryEvent, at: At): Promise<boolean> {
    const stream = at.stream;
    if (this.groups.has(stream)) return false;
    let held = this.packed.get(stream);
    if (held === undefined) {
      const cached = this.groupCache?.get(stream);
      const group = cached?.group ?? (await this.state.units.packedGroups([stream])).get(stream) ?? EMPTY_GROUP;
      held = { group, index: cached?.index, wake: packedGroupWakeAt(group), dirty: false };
      this.packed.set(stream, held);
    }
    if (!isFoldable(held.group)) {
      this.unpack(stream);
      return false;
    }
    held.index ??= stepIndex(held.group);
    const next = foldPacked(e, at, held.group, held.index);
    if (next !== undefined) {
      held.group = next;
      held.dirty = true;
    }
    return true;
  }

  /**
   * Plans a triage batch's steps straight as their new groups, packed (domain/delivery/packed-group.ts
   * `plannedGroups`); false when a step goes into a digest or one of the groups exists already (a
   * redelivery): fold it as units then.
   */
  async planGroups(e: EventOf<'MessageTriaged'>, at: At): Promise<boolean> {
    const planned = plannedGroups(e.data, at);
    if (planned === undefined) return false;
    const streams = [...planned.keys()];
    if (streams.some((s) => this.groups.has(s) || this.packed.has(s) || this.groupCache?.get(s) !== undefined))
      return false;
    if (streams.length > 0 && (await this.state.units.groupRevisions(streams)).size > 0) return false;
    for (const [stream, group] of planned)
      this.packed.set(stream, { group, index: undefined, wake: undefined, dirty: true });
    return true;
  }

  /** Loads the groups among `streams` (a group not stored yet starts empty). */
  async loadGroups(streams: readonly string[]): Promise<void> {
    const missing: string[] = [];
    for (const s of streams) {
      if (this.groups.has(s)) continue;
      if (this.packed.has(s)) {
        this.unpack(s);
        continue;
      }
      const cached = this.groupCache?.get(s);
      if (cached === undefined) missing.push(s);
      else this.adopt(s, unpackGroup(s, cached.group));
    }
    if (missing.length === 0) return;
    const found = await this.state.units.groups(missing);
    for (const s of missing) this.adopt(s, found.get(s) ?? []);
  }

  /** Loads the units among `keys` kept one by one; with `grouped`, looks for the others in groups. */
  async load(keys: readonly string[], grouped = false): Promise<void> {
    const missing = keys.filter((k) => !this.cache.has(k) && !this.absent.has(k));
    if (missing.length === 0) return;
    const found = await this.state.units.get(missing);
    const absent: string[] = [];
    for (const k of missing) {
      const u = found.get(k);
      if (u === undefined) absent.push(k);
      else {
        this.cache.set(k, u);
        this.loaded.set(k, u);
      }
    }
    if (grouped && absent.length > 0)
      for (const [stream, units] of await this.state.units.groupsOf(absent))
        if (this.packed.has(stream)) this.unpack(stream);
        else if (!this.groups.has(stream)) this.adopt(stream, units);
    for (const k of absent) if (!this.cache.has(k)) this.absent.add(k);
  }

  /** The units loaded so far, as this batch has them (read only). */
  view(): ReadonlyMap<string, UnitState> {
    return this.cache;
  }

  put(units: readonly UnitState[]): void {
    for (const u of units) {
      this.cache.set(u.key, u);
      this.absent.delete(u.key);
      const was = this.groupOf.get(u.key);
      const stream = u.kind === 'step' && isGroupStream(u.stream) ? u.stream : undefined;
      if (was !== undefined && was !== stream) {
        // Its facts moved to its own stream: it leaves the group and is kept on its own.
        const g = this.groups.get(was);
        g?.keys.delete(u.key);
        if (g !== undefined) g.dirty = true;
        this.groupOf.delete(u.key);
      }
      if (stream !== undefined) {
        this.unpack(stream);
        const g = this.groups.get(stream) ?? { keys: new Set<string>(), wake: undefined, dirty: false };
        this.groups.set(stream, g);
        g.keys.add(u.key);
        g.dirty = true;
        this.groupOf.set(u.key, stream);
        continue;
      }
      if (!this.loaded.has(u.key)) this.loaded.set(u.key, undefined);
      this.dirty.set(u.key, u);
    }
  }

  empty(): boolean {
    return (
      this.dir.length === 0 &&
      this.changes.length === 0 &&
      this.timed.length === 0 &&
      this.dirty.size === 0 &&
      ![...this.groups.values()].some((g) => g.dirty) &&
      ![...this.packed.values()].some((g) => g.dirty)
    );
  }

  batch(checkpoint: { readonly name: string; readonly position: number }): StateBatch {
    const units = [...this.dirty.values()];
    const timers = [...this.timed];
    for (const u of units) {
      const t = timerChange(this.loaded.get(u.key), u);
      if (t !== undefined) timers.push(t);
    }
    const groups: GroupWrite[] = [];
    const written: (readonly [string, HeldGroup])[] = [];
    for (const [stream, g] of this.groups) {
      if (!g.dirty) continue;
      // A loop, not a spread and a flatMap: a group has up to a few hundred steps, and the
      // flatMap made an array per step.
      const members: UnitState[] = [];
      for (const k of g.keys) {
        const u = this.cache.get(k);
        if (u !== undefined) members.push(u);
      }
      const packed = packGroup(stream, members);
      groups.push({ stream, packed });
      written.push([stream, { group: packed }]);
      const wake = groupWakeAt(members);
      if (wake !== g.wake) timers.push({ kind: 'group', key: stream, at: wake ?? null });
    }
    for (const [stream, g] of this.packed) {
      if (!g.dirty) continue;
      groups.push({ stream, packed: g.group });
      written.push([stream, g.index === undefined ? { group: g.group } : { group: g.group, index: g.index }]);
      const wake = packedGroupWakeAt(g.group);
      if (wake !== g.wake) timers.push({ kind: 'group', key: stream, at: wake ?? null });
    }
    this.written = written;
    return { directory: this.dir, units, groups, deliveries: this.changes, timers, checkpoint };
  }

  /** The batch was committed: the groups it wrote are what the next batch starts from. */
  committed(): void {
    for (const [stream, held] of this.written) this.groupCache?.set(stream, held);
  }
}
