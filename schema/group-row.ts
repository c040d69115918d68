import type { UnitStage, UnitState, UnitStatus } from './delivery-state.js';
import type { DispatchChannel } from './triage-events.js';

// The steps of one group stream (one channel of one triage batch) in their packed form: what
// their plan shares (message, channel, urgency, times, cause) once, and per step only what moves
// (uid, device, when, attempt, revision, stage). Delivery's state stores a group as this form's
// JSON (adapters/delivery-state/sqlite-groups.ts, `dl_groups`), and the dispatch fold keeps it
// packed from read to write when it applies a batched claim, skip or outcome
// (domain/delivery/packed-group.ts), instead of a `UnitState` per step decoded, folded and
// encoded again (issue 13). A step that does not fit the shared part is kept whole (`x`):
// nothing is ever dropped.

export interface GroupShared {
  readonly mid: string;
  readonly channel: DispatchChannel;
  readonly urgency: number;
  readonly due: number;
  readonly expiresAt: number;
  readonly collapse: string | null;
  readonly cause: string;
  readonly correlationId: string;
}

/** [uid, deviceId, at, attempt, revision, status, node|reason, run, leaseUntil] */
export type PackedStep = readonly [
  string,
  string | null,
  number,
  number,
  number,
  UnitStatus,
  string?,
  string?,
  number?,
];

export interface PackedGroup {
  readonly h: GroupShared | null;
  readonly u: readonly PackedStep[];
  readonly x: readonly UnitState[];
}

export const EMPTY_GROUP: PackedGroup = { h: null, u: [], x: [] };

const keyOf = (mid: string, uid: string, channel: string, deviceId: string | null): string =>
  deviceId === null ? `${mid}/${uid}/${channel}` : `${mid}/${uid}/${channel}/${deviceId}`;

/** A packed step's unit key (`<mid>/<uid>/<channel>[/<deviceId>]`). */
export const packedKey = (h: GroupShared, p: PackedStep): string => keyOf(h.mid, p[0], h.channel, p[1]);

const sharedOf = (u: UnitState): GroupShared | null =>
  u.mid === null
    ? null
    : {
        mid: u.mid,
        channel: u.channel,
        urgency: u.urgency,
        due: u.due,
        expiresAt: u.expiresAt,
        collapse: u.collapse,
        cause: u.cause,
        correlationId: u.correlationId,
      };

const fits = (u: UnitState, h: GroupShared, stream: string): boolean =>
  u.kind === 'step' &&
  u.stream === stream &&
  u.digest === null &&
  u.waiting.length === 0 &&
  u.mid === h.mid &&
  u.channel === h.channel &&
  u.urgency === h.urgency &&
  u.due === h.due &&
  u.expiresAt === h.expiresAt &&
  u.collapse === h.collapse &&
  u.cause === h.cause &&
  u.correlationId === h.correlationId &&
  isKeyOf(u.key, h.mid, u.uid, h.channel, u.deviceId);

const SLASH = 47;
// u.key === keyOf(mid, uid, channel, deviceId), compared in place: asked for every step of every
// group packed, where building the key allocated a string each.
const isKeyOf = (key: string, mid: string, uid: string, channel: string, deviceId: string | null): boolean => {
  const u = mid.length + 1;
  const c = u + uid.length + 1;
  const d = c + channel.length;
  const length = deviceId === null ? d : d + 1 + deviceId.length;
  return (
    key.length === length &&
    key.startsWith(mid) &&
    key.charCodeAt(u - 1) === SLASH &&
    key.startsWith(uid, u) &&
    key.charCodeAt(c - 1) === SLASH &&
    key.startsWith(channel, c) &&
    (deviceId === null || (key.charCodeAt(d) === SLASH && key.startsWith(deviceId, d + 1)))
  );
};

const pack = (u: UnitState): PackedStep => {
  const s = u.stage;
  if (s.status === 'claimed')
    return [u.uid, u.deviceId, u.at, u.attempt, u.revision, s.status, s.node, s.run, s.leaseUntil];
  if (s.status === 'skipped' || s.status === 'given-up')
    return [u.uid, u.deviceId, u.at, u.attempt, u.revision, s.status, s.reason];
  return [u.uid, u.deviceId, u.at, u.attempt, u.revision, s.status];
};

/** A group's steps packed, in their order (the first step's plan is the shared part). */
export const packGroup = (stream: string, units: readonly UnitState[]): PackedGroup => {
  const first = units[0];
  const h = first === undefined ? null : sharedOf(first);
  const u: PackedStep[] = [];
  const x: UnitState[] = [];
  for (const unit of units) {
    if (h !== null && fits(unit, h, stream)) u.push(pack(unit));
    else x.push(unit);
  }
  return { h, u, x };
};

// Stages and the empty waiting list are values nobody changes: the steps of a group share them
// (a group of a few hundred steps is mostly one or two stages), instead of an object per step.
const PENDING: UnitStage = { status: 'pending' };
const DONE: UnitStage = { status: 'done' };
const NO_WAITING: readonly string[] = [];

const stageOf = (p: PackedStep, last: UnitStage | undefined): UnitStage => {
  const status = p[5];
  switch (status) {
    case 'claimed': {
      const node = p[6] ?? '';
      const run = p[7] ?? '';
      const leaseUntil = p[8] ?? 0;
      // A job's claims share node, run and lease: the previous step's stage, when it is the same.
      if (
        last?.status === 'claimed' &&
        last.node === node &&
        last.run === run &&
        Object.is(last.leaseUntil, leaseUntil)
      )
        return last;
      return { status, node, run, leaseUntil };
    }
    case 'skipped':
    case 'given-up':
      return { status, reason: p[6] ?? '' };
    case 'pending':
      return PENDING;
    case 'done':
      return DONE;
    default: {
      const unhandled: never = status;
      return unhandled;
    }
  }
};

/** When the scheduler must look at a packed step again, if ever (`wakeAt` of its unit). */
export const packedWakeAt = (p: PackedStep): number | undefined =>
  p[5] === 'pending' ? p[2] : p[5] === 'claimed' ? (p[8] ?? 0) : undefined;

/** A group's steps as units, packed steps first. */
export const unpackGroup = (stream: string, g: PackedGroup): UnitState[] => {
  const { h, u, x } = g;
  const out: UnitState[] = [];
  let stage: UnitStage | undefined;
  if (h !== null)
    for (const p of u) {
      stage = stageOf(p, stage);
      out.push({
        mid: h.mid,
        channel: h.channel,
        urgency: h.urgency,
        due: h.due,
        expiresAt: h.expiresAt,
        collapse: h.collapse,
        cause: h.cause,
        correlationId: h.correlationId,
        key: packedKey(h, p),
        kind: 'step',
        uid: p[0],
        deviceId: p[1],
        digest: null,
        at: p[2],
        attempt: p[3],
        revision: p[4],
        stage,
        stream,
        waiting: NO_WAITING,
      });
    }
  for (const w of x) out.push(w);
  return out;
};
