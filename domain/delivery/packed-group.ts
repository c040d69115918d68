import type { GroupShared, PackedGroup, PackedStep } from '../../schema/group-row.js';
import { packedKey, packedWakeAt } from '../../schema/group-row.js';
import type { BatchDeliveryEvent, OutcomeEntry, SkipEntry } from '../../schema/triage-events.js';
import { entriesOf, entryKeys } from './batches.js';
import type { Entry } from './batches.js';
import { groupWakeAt } from './units.js';
import type { At } from './units.js';
import type { EventOf } from '../../schema/events.js';
import { groupStream } from '../triage/keys.js';

// A batched claim, skip or outcome folded into its group kept packed (schema/group-row.ts), as
// `evolveUnits` folds it into the group's units (units.ts `batched`, `entryMoved`): each step it
// names moves past its revision to the claim, skip or outcome, at the event's revision. Only a
// group whose steps are all packed (no step kept whole) is folded so; the caller takes the
// units' way otherwise. A broadcast's dispatch fold applies one claim and one outcome per group
// of a few hundred steps: here a moved step is one new array, not a unit decoded, copied and
// packed again (issue 13). test/unit/delivery/packed-group.unit.test.ts holds the result equal
// to the units' fold packed.

/** Each packed step's position by its unit key (a batched event moves steps in place). */
export const stepIndex = (g: PackedGroup): Map<string, number> => {
  const out = new Map<string, number>();
  const h: GroupShared | null = g.h;
  if (h === null) return out;
  g.u.forEach((p, i) => out.set(packedKey(h, p), i));
  return out;
};

/** The earliest time the scheduler must look at any of the group's steps (`groupWakeAt`). */
export const packedGroupWakeAt = (g: PackedGroup): number | undefined => {
  let min: number | undefined;
  for (const p of g.u) {
    const w = packedWakeAt(p);
    if (w !== undefined && (min === undefined || w < min)) min = w;
  }
  const whole = groupWakeAt(g.x);
  return whole !== undefined && (min === undefined || whole < min) ? whole : min;
};

/** Can `foldPacked` take the group (all its steps packed)? */
export const isFoldable = (g: PackedGroup): boolean => g.x.length === 0 && (g.h !== null || g.u.length === 0);

// A step whose stage did not move, at a new revision, as `pack` (schema/group-row.ts) writes
// the stage it read back.
const restaged = (p: PackedStep, at: number, revision: number): PackedStep => {
  const status = p[5];
  if (status === 'claimed') return [p[0], p[1], at, p[3], revision, status, p[6] ?? '', p[7] ?? '', p[8] ?? 0];
  if (status === 'skipped' || status === 'given-up') return [p[0], p[1], at, p[3], revision, status, p[6] ?? ''];
  return [p[0], p[1], at, p[3], revision, status];
};

const moved = (e: BatchDeliveryEvent, x: Entry, p: PackedStep, revision: number, leaseUntil: number): PackedStep => {
  switch (e.type) {
    case 'DeliveriesClaimed': {
      const { node, run } = e.data;
      return [
        p[0],
        p[1],
        p[2],
        (x as { readonly attempt: number }).attempt + 1,
        revision,
        'claimed',
        node,
        run,
        leaseUntil,
      ];
    }
    case 'DeliveriesSkipped':
      return [p[0], p[1], p[2], p[3], revision, 'skipped', (x as SkipEntry).reason];
    case 'DeliveriesSent': {
      // As `entryMoved`: sent, then a retry (pending again, at its time), then a give-up.
      const o = x as OutcomeEntry;
      const when = o.retry === undefined ? p[2] : Date.parse(o.retry.at);
      if (o.gaveUp !== undefined) return [p[0], p[1], when, p[3], revision, 'given-up', o.gaveUp.reason];
      if (o.retry !== undefined) return [p[0], p[1], when, p[3], revision, 'pending'];
      if (o.sent !== undefined) return [p[0], p[1], when, p[3], revision, 'done'];
      return restaged(p, when, revision);
    }
    default: {
      const unhandled: never = e;
      return unhandled;
    }
  }
};

/**
 * The group after a batched event of its stream (`at`), or undefined when it moved no step. The
 * group must be foldable (`isFoldable`) and `index` its `stepIndex`; positions do not change.
 */
export const foldPacked = (
  e: BatchDeliveryEvent,
  at: At,
  g: PackedGroup,
  index: ReadonlyMap<string, number>,
): PackedGroup | undefined => {
  const keys = entryKeys(e);
  const entries = entriesOf(e);
  // Every claim of the event has the same lease.
  const leaseUntil = e.type === 'DeliveriesClaimed' ? Date.parse(e.data.leaseUntil) : 0;
  let u: PackedStep[] | undefined;
  for (let i = 0; i < entries.length; i++) {
    const k = index.get(keys[i] ?? '');
    const x = entries[i];
    // Each entry moves the step as the group was before the event (a unit named twice: the last wins).
    const p = k === undefined ? undefined : g.u[k];
    if (k === undefined || p === undefined || x === undefined || at.revision <= p[4]) continue;
    u ??= [...g.u];
    u[k] = moved(e, x, p, at.revision, leaseUntil);
  }
  return u === undefined ? undefined : { h: g.h, u, x: g.x };
};

type Triaged = EventOf<'MessageTriaged'>['data'];

/** A recipient's step before the `j`th on the same channel and device (the same unit). */
const namedBefore = (
  steps: Triaged['recipients'][number]['steps'],
  j: number,
  channel: string,
  deviceId: string | null,
): boolean => {
  for (let i = 0; i < j; i++) {
    const t = steps[i];
    if (t !== undefined && t.channel === channel && (t.deviceId ?? null) === deviceId) return true;
  }
  return false;
};

/**
 * A triage batch's steps as the new groups they start, packed, by group stream: what folding its
 * MessageTriaged into units (units.ts `planned`) and packing each group gives when none of the
 * groups is stored yet. Undefined when a step goes into a digest (those are planned as units).
 */
export const plannedGroups = (d: Triaged, at: At): Map<string, PackedGroup> | undefined => {
  const due = Date.parse(d.due);
  const expiresAt = Date.parse(d.expiresAt);
  const byChannel = new Map<string, { readonly h: GroupShared; readonly u: PackedStep[] }>();
  // A unit is planned once: a step named twice keeps its first plan. With every uid named once
  // (a page of distinct recipients, as triage writes it) a step can only repeat one of its own
  // recipient's: those few are compared, and no key string is made per step (issue 13). A uid
  // named twice sends the batch the keyed way.
  const uids = new Set<string>();
  let repeated = false;
  for (const r of d.recipients) {
    if (uids.has(r.uid)) repeated = true;
    uids.add(r.uid);
  }
  const seen = repeated ? new Set<string>() : undefined;
  // The last two times parsed: a recipient's steps alternate between a push now and an email
  // later, so one remembered time was parsed again for nearly every step.
  let lastIso: string | undefined;
  let lastAt = 0;
  let otherIso: string | undefined;
  let otherAt = 0;
  for (const r of d.recipients)
    for (let j = 0; j < r.steps.length; j++) {
      const s = r.steps[j];
      if (s === undefined || s.channel === 'websocket') continue;
      if (s.digest !== undefined) return undefined;
      const deviceId = s.deviceId ?? null;
      if (seen === undefined) {
        if (namedBefore(r.steps, j, s.channel, deviceId)) continue;
      } else {
        const key = deviceId === null ? `${r.uid}/${s.channel}` : `${r.uid}/${s.channel}/${deviceId}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      let g = byChannel.get(s.channel);
      if (g === undefined) {
        const h: GroupShared = {
          mid: d.mid,
          channel: s.channel,
          urgency: d.urgency,
          due,
          expiresAt,
          collapse: d.collapse ?? null,
          cause: at.eventId,
          correlationId: at.correlationId,
        };
        g = { h, u: [] };
        byChannel.set(s.channel, g);
      }
      if (s.at !== lastIso) {
        const iso = otherIso;
        const ms = otherAt;
        otherIso = lastIso;
        otherAt = lastAt;
        lastIso = s.at;
        lastAt = s.at === iso ? ms : Date.parse(s.at);
      }
      g.u.push([r.uid, deviceId, lastAt, 0, -1, 'pending']);
    }
  const out = new Map<string, PackedGroup>();
  for (const [channel, g] of byChannel) out.set(groupStream(d.mid, channel, d.batch), { h: g.h, u: g.u, x: [] });
  return out;
};
