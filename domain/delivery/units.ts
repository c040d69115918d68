import type { TimerChange, TimerKind, UnitStage, UnitState } from '../../schema/delivery-state.js';
import type { EventOf } from '../../schema/events.js';
import type { BatchDeliveryEvent, DeliveryEvent, OutcomeEntry, SkipEntry } from '../../schema/triage-events.js';
import { deliveryStream, digestKey, digestStream, groupStream, stepKey } from '../triage/keys.js';
import { entriesOf, entryKeys, isBatchDelivery } from './batches.js';
import type { Entry } from './batches.js';

// The delivery units as a fold: a MessageTriaged batch plans them, each delivery event moves
// one (and, for a digest, its members). `evolve` is pure: the runner loads the units an event
// touches (`unitKeysOf`), folds, and stores what changed. Delivery events apply only past a
// unit's revision, and a unit is planned only once, so a redelivered event changes nothing.

/** Where an event sits and who caused it: what the folds need besides its data. */
export interface At {
  readonly position: number;
  /** The event's stream. */
  readonly stream: string;
  /** The event's revision in its own stream. */
  readonly revision: number;
  readonly eventId: string;
  readonly correlationId: string;
}

type Triaged = EventOf<'MessageTriaged'>['data'];
export type UnitEvent = DeliveryEvent | BatchDeliveryEvent | EventOf<'MessageTriaged'>;
export type Units = ReadonlyMap<string, UnitState>;

const settled = (u: UnitState): boolean => u.stage.status !== 'pending' && u.stage.status !== 'claimed';
/** The digest a member-stream event belongs to (its data names the window). */
const digestOf = (d: DeliveryEvent['data']): string | undefined =>
  d.digest === undefined ? undefined : `${d.uid}/${d.channel}/${d.digest}`;

/** Every unit an event may read or change. */
export const unitKeysOf = (e: UnitEvent): string[] => {
  if (e.type === 'MessageTriaged') {
    const keys: string[] = [];
    for (const r of e.data.recipients)
      for (const s of r.steps) {
        if (s.channel === 'websocket') continue;
        keys.push(
          stepKey({
            mid: e.data.mid,
            uid: r.uid,
            channel: s.channel,
            ...(s.deviceId === undefined ? {} : { deviceId: s.deviceId }),
          }),
        );
        if (s.digest !== undefined) keys.push(digestKey(r.uid, s.channel, Date.parse(s.digest)));
      }
    return keys;
  }
  if (isBatchDelivery(e)) return entryKeys(e);
  const d = e.data;
  const digest = digestOf(d);
  const members = (d.mids ?? []).map((mid) => stepKey({ mid, uid: d.uid, channel: d.channel }));
  return [d.key, ...(digest === undefined ? [] : [digest]), ...members];
};

/**
 * Where the units an event is about are stored: the group streams whose steps it plans or moves
 * (kept together, one row each) and the keys of units kept one by one (digests, members, and
 * steps whose facts are in their own stream). A per-unit event's step may also sit in a group
 * (a node from before batching wrote it): `keys` names it, the caller looks for it there too.
 */
export const storedUnitsOf = (e: UnitEvent, at: At): { readonly groups: string[]; readonly keys: string[] } => {
  if (e.type === 'MessageTriaged') {
    // One group per channel of the batch: its stream is named once per channel, not per step.
    const groups = new Map<string, string>();
    const keys: string[] = [];
    for (const r of e.data.recipients)
      for (const s of r.steps) {
        if (s.channel === 'websocket') continue;
        if (s.digest === undefined) {
          if (!groups.has(s.channel)) groups.set(s.channel, groupStream(e.data.mid, s.channel, e.data.batch));
          continue;
        }
        const device = s.deviceId === undefined ? {} : { deviceId: s.deviceId };
        keys.push(stepKey({ mid: e.data.mid, uid: r.uid, channel: s.channel, ...device }));
        keys.push(digestKey(r.uid, s.channel, Date.parse(s.digest)));
      }
    return { groups: [...groups.values()], keys };
  }
  if (isBatchDelivery(e)) return { groups: [at.stream], keys: [] };
  return { groups: [], keys: unitKeysOf(e) };
};

/** The earliest time the scheduler must look at any of a group's steps, if ever. */
export const groupWakeAt = (units: Iterable<UnitState>): number | undefined => {
  let min: number | undefined;
  for (const u of units) {
    const w = wakeAt(u);
    if (w !== undefined && (min === undefined || w < min)) min = w;
  }
  return min;
};

/** When the scheduler must look at the unit again, if ever. Members go out with their digest. */
export const wakeAt = (u: UnitState): number | undefined => {
  if (u.kind === 'member') return undefined;
  if (u.stage.status === 'pending') return u.at;
  if (u.stage.status === 'claimed') return u.stage.leaseUntil;
  return undefined;
};
export const timerKindOf = (u: UnitState): TimerKind => (u.kind === 'digest' ? 'digest' : 'step');

/** The timer change between two versions of a unit (none when its wake-up time did not move). */
export const timerChange = (before: UnitState | undefined, after: UnitState): TimerChange | undefined => {
  const was = before === undefined ? undefined : wakeAt(before);
  const now = wakeAt(after);
  return was === now ? undefined : { kind: timerKindOf(after), key: after.key, at: now ?? null };
};

const planned = (d: Triaged, at: At, units: Units): UnitState[] => {
  const out = new Map<string, UnitState>();
  const get = (key: string): UnitState | undefined => out.get(key) ?? units.get(key);
  const due = Date.parse(d.due);
  const expiresAt = Date.parse(d.expiresAt);
  const pending = { status: 'pending' } as const;
  // A batch's steps share a few times and streams: parse and build each once (a broadcast
  // plans a few hundred steps per batch).
  const times = new Map<string, number>();
  const timeOf = (iso: string): number => {
    const t = times.get(iso) ?? Date.parse(iso);
    times.set(iso, t);
    return t;
  };
  const streams = new Map<string, string>();
  const streamOf = (channel: string): string => {
    const g = streams.get(channel) ?? groupStream(d.mid, channel, d.batch);
    streams.set(channel, g);
    return g;
  };
  for (const r of d.recipients)
    for (const s of r.steps) {
      if (s.channel === 'websocket') continue; // the realtime layer's, not dispatch's
      const when = timeOf(s.at);
      const key = stepKey({
        mid: d.mid,
        uid: r.uid,
        channel: s.channel,
        ...(s.deviceId === undefined ? {} : { deviceId: s.deviceId }),
      });
      if (get(key) !== undefined) continue; // planned before: this is a redelivery
      if (s.digest === undefined) {
        out.set(key, {
          key,
          kind: 'step',
          mid: d.mid,
          uid: r.uid,
          channel: s.channel,
          deviceId: s.deviceId ?? null,
          digest: null,
          collapse: d.collapse ?? null,
          urgency: d.urgency,
          due,
          expiresAt,
          cause: at.eventId,
          correlationId: at.correlationId,
          stage: pending,
          at: when,
          attempt: 0,
          stream: streamOf(s.channel),
          revision: -1,
          waiting: [],
        });
        continue;
      }
      const common = {
        uid: r.uid,
        channel: s.channel,
        urgency: d.urgency,
        due,
        expiresAt,
        cause: at.eventId,
        correlationId: at.correlationId,
        stage: { status: 'pending' } as const,
        at: when,
        attempt: 0,
        revision: -1,
        waiting: [],
      };
      const unit = digestKey(r.uid, s.channel, Date.parse(s.digest));
      out.set(key, {
        ...common,
        key,
        stream: deliveryStream(key),
        kind: 'member',
        mid: d.mid,
        deviceId: null,
        digest: unit,
        collapse: d.collapse ?? null,
      });
      const open = get(unit);
      if (open === undefined) {
        out.set(unit, {
          ...common,
          key: unit,
          stream: digestStream(unit),
          kind: 'digest',
          mid: null,
          deviceId: null,
          digest: null,
          collapse: null,
          waiting: [d.mid],
        });
      } else if (settled(open)) {
        // A digest whose window already went out takes a late member in a second round.
        const waiting = [...open.waiting, d.mid];
        out.set(unit, {
          ...open,
          stage: { status: 'pending' },
          at: when,
          expiresAt: Math.max(open.expiresAt, expiresAt),
          waiting,
        });
      } else {
        out.set(unit, { ...open, expiresAt: Math.max(open.expiresAt, expiresAt), waiting: [...open.waiting, d.mid] });
      }
    }
  return [...out.values()];
};

const moved = (u: UnitState, e: DeliveryEvent, revision: number): UnitState => {
  switch (e.type) {
    case 'DeliveryAttempted': {
      const { node, run, leaseUntil, attempt } = e.data;
      return {
        ...u,
        stage: { status: 'claimed', node, run, leaseUntil: Date.parse(leaseUntil) },
        attempt: attempt + 1,
        revision,
      };
    }
    case 'DeliverySucceeded':
      return { ...u, stage: { status: 'done' }, revision };
    case 'DeliveryFailed': // the retry or give-up that follows moves the stage
      return { ...u, revision };
    case 'DeliveryRetryScheduled':
      return { ...u, stage: { status: 'pending' }, at: Date.parse(e.data.at), revision };
    case 'DeliveryGivenUp':
      return { ...u, stage: { status: 'given-up', reason: e.data.reason }, revision };
    case 'DeliverySkipped':
      return { ...u, stage: { status: 'skipped', reason: e.data.reason }, revision };
    default: {
      const unhandled: never = e;
      return unhandled;
    }
  }
};

// A unit's facts are in one stream, so an event applies only past the unit's revision there. A
// step planned for a group stream whose first fact is in its own stream (written by a node from
// before batching) follows its own stream from then on.
const applies = (unit: UnitState, at: At): UnitState | undefined => {
  if (unit.revision < 0 && at.stream !== unit.stream && at.stream === deliveryStream(unit.key))
    return { ...unit, stream: at.stream };
  return at.stream === unit.stream && at.revision > unit.revision ? unit : undefined;
};

const delivered = (e: DeliveryEvent, at: At, units: Units): UnitState[] => {
  const d = e.data;
  const found = units.get(d.key);
  const unit = found === undefined ? undefined : applies(found, at);
  if (unit === undefined) return []; // unknown unit, or already applied
  const after = moved(unit, e, at.revision);
  const out: UnitState[] = [after];
  if (unit.kind === 'member') {
    // A member that leaves on its own (read, expired, ...) no longer waits for its digest.
    const digest = unit.digest === null ? undefined : units.get(unit.digest);
    if (digest !== undefined && settled(after) && unit.mid !== null)
      out.push({ ...digest, waiting: digest.waiting.filter((m) => m !== unit.mid) });
    return out;
  }
  if (unit.kind !== 'digest' || !settled(after)) return out;
  // The digest went out (or gave up, or was skipped) with `mids`: those members end with it.
  const carried = new Set<string>(d.mids ?? []);
  for (const mid of carried) {
    const member = units.get(stepKey({ mid, uid: d.uid, channel: d.channel }));
    if (member?.digest === unit.key && member.stage.status === 'pending') out.push({ ...member, stage: after.stage });
  }
  // Members that arrived while it was out go in the next round, at once.
  const waiting = after.waiting.filter((m) => !carried.has(m));
  out[0] = waiting.length === 0 ? { ...after, waiting } : { ...after, waiting, stage: { status: 'pending' } };
  return out;
};

// A batched event moves each unit it names as the per-unit events it stands for would
// (batches.ts `unitParts`: a claim; a skip; sent, failed, retry, gave up in that order), all at
// the batched event's revision, read straight from its entries (a broadcast's fold applies
// thousands of them: no per-unit event objects in between). Grouped units are steps: no
// digest bookkeeping.
// Stages are values nobody changes: one object serves every unit of a batched event that moves
// to the same stage (a claim's lease, done, pending again), not one per unit.
const DONE: UnitStage = { status: 'done' };
const PENDING: UnitStage = { status: 'pending' };

const entryMoved = (e: BatchDeliveryEvent, x: Entry, u: UnitState, revision: number, claimed: UnitStage): UnitState => {
  switch (e.type) {
    case 'DeliveriesClaimed': {
      const attempt = (x as { readonly attempt: number }).attempt;
      return { ...u, stage: claimed, attempt: attempt + 1, revision };
    }
    case 'DeliveriesSkipped':
      return { ...u, stage: { status: 'skipped', reason: (x as SkipEntry).reason }, revision };
    case 'DeliveriesSent': {
      const o = x as OutcomeEntry;
      let stage = u.stage;
      let at = u.at;
      if (o.sent !== undefined) stage = DONE;
      if (o.retry !== undefined) {
        stage = PENDING;
        at = Date.parse(o.retry.at);
      }
      if (o.gaveUp !== undefined) stage = { status: 'given-up', reason: o.gaveUp.reason };
      return { ...u, stage, at, revision };
    }
    default: {
      const unhandled: never = e;
      return unhandled;
    }
  }
};

const batched = (e: BatchDeliveryEvent, at: At, units: Units): UnitState[] => {
  const out: UnitState[] = [];
  const keys = entryKeys(e);
  const entries = entriesOf(e);
  // Every claim of the event has the same node, run and lease.
  const claimed: UnitStage =
    e.type === 'DeliveriesClaimed'
      ? { status: 'claimed', node: e.data.node, run: e.data.run, leaseUntil: Date.parse(e.data.leaseUntil) }
      : PENDING;
  for (let i = 0; i < entries.length; i++) {
    const found = units.get(keys[i] ?? '');
    const unit = found === undefined ? undefined : applies(found, at);
    const x = entries[i];
    if (unit === undefined || x === undefined) continue;
    out.push(entryMoved(e, x, unit, at.revision, claimed));
  }
  return out;
};

/** The units an event changes, in their new state. */
export const evolveUnits = (e: UnitEvent, at: At, units: Units): UnitState[] =>
  e.type === 'MessageTriaged'
    ? planned(e.data, at, units)
    : isBatchDelivery(e)
      ? batched(e, at, units)
      : delivered(e, at, units);

const UNIT_EVENTS: ReadonlySet<string> = new Set([
  'MessageTriaged',
  'DeliveryAttempted',
  'DeliverySucceeded',
  'DeliveryFailed',
  'DeliveryRetryScheduled',
  'DeliveryGivenUp',
  'DeliverySkipped',
  'DeliveriesClaimed',
  'DeliveriesSent',
  'DeliveriesSkipped',
]);
export const isUnitEvent = (e: { readonly type: string }): e is UnitEvent => UNIT_EVENTS.has(e.type);
