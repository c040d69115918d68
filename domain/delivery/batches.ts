import { BATCH_ENTRIES } from '../../schema/triage-events.js';
import type {
  BatchDeliveryEvent,
  ClaimEntry,
  DeliveryEvent,
  DispatchChannel,
  OutcomeEntry,
  SkipEntry,
  TriageEventOf,
} from '../../schema/triage-events.js';
import { asDeviceId, asMessageId } from '../../schema/ids.js';
import { stepKey } from '../triage/keys.js';
import type { GroupPart } from './group-dispatch.js';

// Batched delivery events <-> the per-unit events they stand for. Dispatch decides a grouped
// step straight as its entry (group-dispatch.ts; the writer gathers a group's entries,
// `batchOfParts`), and other units per unit (dispatch.ts, outcomes.ts: DeliveryAttempted,
// DeliverySkipped, DeliverySucceeded, ...), which the writer compacts when they are about a group
// (`compact`: the same batched events the entries give); and
// every reader (the units fold, the search projection, explain, audits) expands them back
// (`expandDeliveries`), so a batched log tells the same story per recipient as one written
// before batching, and both replay through the same per-unit logic.

const BATCH_TYPES: ReadonlySet<string> = new Set(['DeliveriesClaimed', 'DeliveriesSent', 'DeliveriesSkipped']);
export const isBatchDelivery = (e: { readonly type: string }): e is BatchDeliveryEvent => BATCH_TYPES.has(e.type);

/** One unit's part of a batched event: its key and the per-unit events it stands for, in order. */
export interface UnitPart {
  readonly key: string;
  readonly events: readonly DeliveryEvent[];
}

export type Entry = ClaimEntry | OutcomeEntry | SkipEntry;
const refOf = (e: BatchDeliveryEvent, x: Entry) => {
  const { mid, channel } = e.data;
  const key = stepKey({ mid, uid: x.uid, channel, ...(x.deviceId === undefined ? {} : { deviceId: x.deviceId }) });
  return { key, uid: x.uid, channel, mid, ...(x.deviceId === undefined ? {} : { deviceId: x.deviceId }) };
};

const outcomeEvents = (ref: ReturnType<typeof refOf>, o: OutcomeEntry): DeliveryEvent[] => {
  const out: DeliveryEvent[] = [];
  const { attempt } = o;
  if (o.sent !== undefined) out.push({ type: 'DeliverySucceeded', data: { ...ref, attempt, ...o.sent } });
  if (o.failed !== undefined) out.push({ type: 'DeliveryFailed', data: { ...ref, attempt, ...o.failed } });
  if (o.retry !== undefined)
    out.push({ type: 'DeliveryRetryScheduled', data: { ...ref, attempt: attempt + 1, ...o.retry } });
  if (o.gaveUp !== undefined) out.push({ type: 'DeliveryGivenUp', data: { ...ref, ...o.gaveUp } });
  return out;
};

/** The units a batched event is about, each with the per-unit events it stands for. */
export const unitParts = (e: BatchDeliveryEvent): UnitPart[] => {
  switch (e.type) {
    case 'DeliveriesClaimed': {
      const { node, run, leaseUntil } = e.data;
      return e.data.claims.map((c) => {
        const ref = refOf(e, c);
        return {
          key: ref.key,
          events: [{ type: 'DeliveryAttempted', data: { ...ref, attempt: c.attempt, node, run, leaseUntil } }],
        };
      });
    }
    case 'DeliveriesSkipped':
      return e.data.skips.map((s) => {
        const ref = refOf(e, s);
        return { key: ref.key, events: [{ type: 'DeliverySkipped', data: { ...ref, reason: s.reason } }] };
      });
    case 'DeliveriesSent':
      return e.data.outcomes.map((o) => {
        const ref = refOf(e, o);
        return { key: ref.key, events: outcomeEvents(ref, o) };
      });
    default: {
      const unhandled: never = e;
      return unhandled;
    }
  }
};

/** The entries of a batched event, whatever its kind. */
export const entriesOf = (e: BatchDeliveryEvent): readonly Entry[] =>
  e.type === 'DeliveriesClaimed' ? e.data.claims : e.type === 'DeliveriesSkipped' ? e.data.skips : e.data.outcomes;

/** The unit keys a batched event names, in order (without building the per-unit events). */
export const entryKeys = (e: BatchDeliveryEvent): string[] => {
  const { mid, channel } = e.data;
  return entriesOf(e).map((x) =>
    x.deviceId === undefined ? `${mid}/${x.uid}/${channel}` : `${mid}/${x.uid}/${channel}/${x.deviceId}`,
  );
};

/** The per-unit events a batched event stands for, unit after unit. */
export const expandDeliveries = (e: BatchDeliveryEvent): DeliveryEvent[] => unitParts(e).flatMap((p) => p.events);

const chunks = <T>(xs: readonly T[]): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += BATCH_ENTRIES) out.push(xs.slice(i, i + BATCH_ENTRIES));
  return out;
};

const who = (d: { readonly uid: DeliveryEvent['data']['uid']; readonly deviceId?: string | undefined }) =>
  d.deviceId === undefined ? { uid: d.uid } : { uid: d.uid, deviceId: asDeviceId(d.deviceId) };

type Claims = { node: string; run: string; leaseUntil: string; claims: ClaimEntry[] };
type Outcome = { -readonly [K in keyof OutcomeEntry]: OutcomeEntry[K] };

/**
 * The batched events for per-unit events of ONE group (one message and channel): skips, then
 * claims (one event per lease), then outcomes, each at most BATCH_ENTRIES entries. Undefined
 * when an event does not fit a batch (a digest's, or another group's): the caller writes those
 * as they are. A unit's outcome gathers its events in the order they come (entries are built
 * in place: a job writes thousands, so nothing is copied per event).
 */
export const compact = (events: readonly DeliveryEvent[]): BatchDeliveryEvent[] | undefined => {
  const first = events[0];
  if (first?.data.mid === undefined) return undefined;
  const { mid, channel } = first.data;
  const skips: SkipEntry[] = [];
  const claims = new Map<string, Claims>();
  // A job's claims share one lease: the last one found is tried first.
  let lastClaims: Claims | undefined;
  const outcomes = new Map<string, Outcome>();
  const outcome = (d: DeliveryEvent['data'], attempt: number): Outcome => {
    const key = d.deviceId === undefined ? `${d.uid}/` : `${d.uid}/${d.deviceId}`;
    let o = outcomes.get(key);
    if (o === undefined) {
      o = { ...who(d), attempt };
      outcomes.set(key, o);
    }
    return o;
  };
  for (const e of events) {
    const d = e.data;
    if (d.mid !== mid || d.channel !== channel || d.mids !== undefined || d.digest !== undefined) return undefined;
    switch (e.type) {
      case 'DeliverySkipped':
        skips.push({ ...who(d), reason: e.data.reason });
        break;
      case 'DeliveryAttempted': {
        const { node, run, leaseUntil } = e.data;
        let c = lastClaims;
        if (c === undefined || c.node !== node || c.run !== run || c.leaseUntil !== leaseUntil) {
          const lease = `${node}\n${run}\n${leaseUntil}`;
          c = claims.get(lease);
          if (c === undefined) {
            c = { node, run, leaseUntil, claims: [] };
            claims.set(lease, c);
          }
          lastClaims = c;
        }
        c.claims.push({ ...who(d), attempt: e.data.attempt });
        break;
      }
      case 'DeliverySucceeded': {
        const { providerId } = e.data;
        outcome(d, e.data.attempt).sent = providerId === undefined ? {} : { providerId };
        break;
      }
      case 'DeliveryFailed':
        outcome(d, e.data.attempt).failed = { reason: e.data.reason, outcome: e.data.outcome };
        break;
      case 'DeliveryRetryScheduled':
        outcome(d, e.data.attempt - 1).retry = { afterMs: e.data.afterMs, at: e.data.at };
        break;
      case 'DeliveryGivenUp':
        outcome(d, e.data.attempts - 1).gaveUp = { attempts: e.data.attempts, reason: e.data.reason };
        break;
      default: {
        const unhandled: never = e;
        return unhandled;
      }
    }
  }
  const group = { mid: asMessageId(mid), channel };
  const out: BatchDeliveryEvent[] = chunks(skips).map(
    (s): TriageEventOf<'DeliveriesSkipped'> => ({ type: 'DeliveriesSkipped', data: { ...group, skips: s } }),
  );
  for (const c of claims.values())
    for (const part of chunks(c.claims))
      out.push({
        type: 'DeliveriesClaimed',
        data: { ...group, node: c.node, run: c.run, leaseUntil: c.leaseUntil, claims: part },
      });
  for (const part of chunks([...outcomes.values()]))
    out.push({ type: 'DeliveriesSent', data: { ...group, outcomes: part } });
  return out;
};

/**
 * The batched events for the entries of ONE group (message `mid`, `channel`), as `compact` gives
 * them for the per-unit events these entries stand for (group-dispatch.ts decides them as
 * entries): skips, then claims (one event per lease), then outcomes, each at most BATCH_ENTRIES
 * entries. One part per unit (a unit's outcome is one entry already).
 */
export const batchOfParts = (
  mid: string,
  channel: DispatchChannel,
  parts: readonly GroupPart[],
): BatchDeliveryEvent[] => {
  const skips: SkipEntry[] = [];
  const claims = new Map<string, Claims>();
  let lastClaims: Claims | undefined;
  const outcomes: OutcomeEntry[] = [];
  for (const p of parts)
    switch (p.kind) {
      case 'skip':
        skips.push(p.entry);
        break;
      case 'claim': {
        const { node, run, leaseUntil } = p.lease;
        let c = lastClaims;
        if (c === undefined || c.node !== node || c.run !== run || c.leaseUntil !== leaseUntil) {
          const lease = `${node}\n${run}\n${leaseUntil}`;
          c = claims.get(lease);
          if (c === undefined) {
            c = { node, run, leaseUntil, claims: [] };
            claims.set(lease, c);
          }
          lastClaims = c;
        }
        c.claims.push(p.entry);
        break;
      }
      case 'outcome':
        outcomes.push(p.entry);
        break;
      default: {
        const unhandled: never = p;
        return unhandled;
      }
    }
  const group = { mid: asMessageId(mid), channel };
  const out: BatchDeliveryEvent[] = chunks(skips).map(
    (s): TriageEventOf<'DeliveriesSkipped'> => ({ type: 'DeliveriesSkipped', data: { ...group, skips: s } }),
  );
  for (const c of claims.values())
    for (const part of chunks(c.claims))
      out.push({
        type: 'DeliveriesClaimed',
        data: { ...group, node: c.node, run: c.run, leaseUntil: c.leaseUntil, claims: part },
      });
  for (const part of chunks(outcomes)) out.push({ type: 'DeliveriesSent', data: { ...group, outcomes: part } });
  return out;
};

/** The per-unit events one part stands for (a group whose units were decided both ways). */
export const partEvents = (mid: string, channel: DispatchChannel, part: GroupPart): DeliveryEvent[] =>
  batchOfParts(mid, channel, [part]).flatMap(expandDeliveries);
