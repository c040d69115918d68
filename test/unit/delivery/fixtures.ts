import { isBatchDelivery, unitParts } from '../../../domain/delivery/batches.js';
import { evolveUnits } from '../../../domain/delivery/units.js';
import type { At, UnitEvent } from '../../../domain/delivery/units.js';
import type { Dispatcher } from '../../../domain/delivery/dispatch.js';
import type { StepMarkers } from '../../../domain/triage/escalation.js';
import { asDeviceId, asMessageId, asUserId } from '../../../schema/ids.js';
import type { UnitState } from '../../../schema/delivery-state.js';
import type { DeliveryEvent, TriageEventOf } from '../../../schema/triage-events.js';

// Given/When/Then for the delivery workflows (domain/delivery/): the units are the fold of
// the events given (a MessageTriaged plan, then each unit stream's delivery events), exactly
// as delivery/ folds them from the log; the decision is asked of that state.
export const T0 = Date.parse('2030-01-01T00:00:00.000Z');
export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const iso = (ms: number): string => new Date(ms).toISOString();

export const MID = asMessageId('01900000-0000-7000-8000-000000000001');
export const BOB = asUserId('bob');
export const DEVICE = asDeviceId('d-pixel');
/** The step of MID to bob's FCM device, and the stream its facts are in: its group's (FCM steps of triage batch 0). */
export const KEY = `${MID}/bob/fcm/d-pixel`;
export const STREAM = `deliveries-${MID}/fcm/0`;

export const NODE_A: Dispatcher = { node: 'node-a', run: 'run-1', leaseMs: 2 * MINUTE };

export const nothing: StepMarkers = {
  cancelled: false,
  seen: false,
  read: false,
  collapsed: false,
  optedOut: false,
  reachable: true,
};

/** The plan of MID for bob: an FCM push at `afterMs`, and optionally an email in a digest window. */
export const triaged = (afterMs = 0, digest?: number): TriageEventOf<'MessageTriaged'> => ({
  type: 'MessageTriaged',
  data: {
    mid: MID,
    batch: 0,
    due: iso(T0),
    expiresAt: iso(T0 + 60 * MINUTE),
    urgency: 3,
    recipients: [
      {
        uid: BOB,
        online: false,
        steps: [
          { channel: 'websocket', at: iso(T0), reason: 'offline' },
          { channel: 'fcm', deviceId: DEVICE, at: iso(T0 + afterMs), reason: 'offline' },
          ...(digest === undefined
            ? []
            : [{ channel: 'email' as const, at: iso(digest), reason: 'unread' as const, digest: iso(digest) }]),
        ],
      },
    ],
  },
});

export const ref = { key: KEY, uid: BOB, channel: 'fcm', mid: MID, deviceId: DEVICE } as const;

export const attempted = (attempt: number, by: Dispatcher, leaseUntil: number): DeliveryEvent => ({
  type: 'DeliveryAttempted',
  data: { ...ref, attempt, node: by.node, run: by.run, leaseUntil: iso(leaseUntil) },
});

/**
 * Folds `events` into units, as delivery/ does: the plan at triage's stream, each delivery
 * event at the next revision of its own unit's stream.
 */
export const unitsOf = (events: readonly UnitEvent[]): Map<string, UnitState> => {
  const units = new Map<string, UnitState>();
  const revisions = new Map<string, number>();
  events.forEach((e, i) => {
    // A delivery event is written to the stream its unit's facts are in (a step's group stream).
    const key = e.type === 'MessageTriaged' ? undefined : isBatchDelivery(e) ? unitParts(e)[0]?.key : e.data.key;
    const stream = key === undefined ? `triage-${e.data.mid}` : (units.get(key)?.stream ?? `delivery-${key}`);
    const revision = (revisions.get(stream) ?? -1) + 1;
    revisions.set(stream, revision);
    const at: At = { position: i + 1, stream, revision, eventId: `ev-${String(i + 1)}`, correlationId: 'corr-1' };
    for (const u of evolveUnits(e, at, units)) units.set(u.key, u);
  });
  return units;
};

export const unit = (events: readonly UnitEvent[], key = KEY): UnitState => {
  const u = unitsOf(events).get(key);
  if (u === undefined) throw new Error(`no unit ${key} after the events given`);
  return u;
};
