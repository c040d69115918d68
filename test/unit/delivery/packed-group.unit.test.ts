import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  foldPacked,
  isFoldable,
  packedGroupWakeAt,
  plannedGroups,
  stepIndex,
} from '../../../domain/delivery/packed-group.js';
import { evolveUnits, groupWakeAt } from '../../../domain/delivery/units.js';
import type { At } from '../../../domain/delivery/units.js';
import { groupStream, stepKey } from '../../../domain/triage/keys.js';
import { packGroup, unpackGroup } from '../../../schema/group-row.js';
import type { UnitStage, UnitState } from '../../../schema/delivery-state.js';
import { asDeviceId, asMessageId, asUserId } from '../../../schema/ids.js';
import type { BatchDeliveryEvent, OutcomeEntry, TriageEventOf } from '../../../schema/triage-events.js';
import { MID, T0, iso } from './fixtures.js';

// A batched claim, skip or outcome folded into a group kept packed (domain/delivery/packed-group.ts)
// must leave the group exactly as folding it into the group's units does (units.ts `evolveUnits`)
// and packing them again: every step, stage, time, attempt and revision, in the same order, over
// every stage a step may be in, entries for steps that are not in the group, named twice, or
// already applied (a redelivery), and an event of another message or channel.

const STREAM = groupStream(MID, 'fcm', 0);
const OTHER = asMessageId('01900000-0000-7000-8000-000000000002');

const stage: fc.Arbitrary<UnitStage> = fc.oneof(
  fc.constant({ status: 'pending' as const }),
  fc.constant({ status: 'done' as const }),
  fc.record({
    status: fc.constant('claimed' as const),
    node: fc.constantFrom('n1', 'n2'),
    run: fc.constantFrom('r1', 'r2'),
    leaseUntil: fc.integer({ min: T0, max: T0 + 10_000 }),
  }),
  fc.record({
    status: fc.constantFrom('skipped' as const, 'given-up' as const),
    reason: fc.constantFrom('read', 'gone'),
  }),
);

const UIDS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
const deviceOf = (uid: string, i: number): string | null => (i % 3 === 2 ? null : `d-${uid}`);

const step = (uid: string, i: number, s: UnitStage, at: number, attempt: number, revision: number): UnitState => {
  const deviceId = deviceOf(uid, i);
  return {
    key: stepKey({ mid: MID, uid, channel: 'fcm', ...(deviceId === null ? {} : { deviceId }) }),
    kind: 'step',
    mid: MID,
    uid,
    channel: 'fcm',
    deviceId,
    digest: null,
    collapse: null,
    urgency: 2,
    due: T0,
    expiresAt: T0 + 60_000,
    cause: 'triage-m@0',
    correlationId: 'c',
    stage: s,
    at,
    attempt,
    stream: STREAM,
    revision,
    waiting: [],
  };
};

const group = fc
  .array(
    fc.tuple(
      stage,
      fc.integer({ min: T0, max: T0 + 5_000 }),
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: -1, max: 5 }),
    ),
    { minLength: 0, maxLength: UIDS.length },
  )
  .map((rows) => rows.map(([s, at, attempt, revision], i) => step(UIDS[i] ?? 'z', i, s, at, attempt, revision)));

// Entries name steps by uid (and device): some in the group, some not, some twice.
const who = fc.integer({ min: 0, max: UIDS.length + 1 }).map((i) => {
  const uid = UIDS[i] ?? `absent-${String(i)}`;
  const deviceId = deviceOf(uid, i);
  return deviceId === null ? { uid: asUserId(uid) } : { uid: asUserId(uid), deviceId: asDeviceId(deviceId) };
});

const outcome: fc.Arbitrary<OutcomeEntry> = fc
  .tuple(
    who,
    fc.integer({ min: 0, max: 4 }),
    fc.boolean(),
    fc.boolean(),
    fc.boolean(),
    fc.boolean(),
    fc.integer({ min: 0, max: 5_000 }),
  )
  .map(([w, attempt, sent, failed, retry, gaveUp, ms]) => ({
    ...w,
    attempt,
    ...(sent ? { sent: { providerId: 'p' } } : {}),
    ...(failed ? { failed: { reason: 'x', outcome: 'retry' as const } } : {}),
    ...(retry ? { retry: { afterMs: ms, at: iso(T0 + ms) } } : {}),
    ...(gaveUp ? { gaveUp: { attempts: attempt + 1, reason: 'gone' } } : {}),
  }));

const event: fc.Arbitrary<BatchDeliveryEvent> = fc
  .tuple(fc.constantFrom(MID, MID, MID, OTHER), fc.constantFrom('fcm' as const, 'fcm' as const, 'apns' as const))
  .chain(([mid, channel]) =>
    fc.oneof(
      fc
        .tuple(
          fc.array(fc.tuple(who, fc.integer({ min: 0, max: 4 })), { maxLength: 10 }),
          fc.integer({ min: 0, max: 9_000 }),
        )
        .map(
          ([claims, lease]): BatchDeliveryEvent => ({
            type: 'DeliveriesClaimed',
            data: {
              mid,
              channel,
              node: 'n3',
              run: 'r3',
              leaseUntil: iso(T0 + lease),
              claims: claims.map(([w, attempt]) => ({ ...w, attempt })),
            },
          }),
        ),
      fc.array(fc.tuple(who, fc.constantFrom('read', 'seen', 'expired')), { maxLength: 10 }).map(
        (skips): BatchDeliveryEvent => ({
          type: 'DeliveriesSkipped',
          data: { mid, channel, skips: skips.map(([w, reason]) => ({ ...w, reason })) },
        }),
      ),
      fc
        .array(outcome, { maxLength: 10 })
        .map((outcomes): BatchDeliveryEvent => ({ type: 'DeliveriesSent', data: { mid, channel, outcomes } })),
    ),
  );

const atOf = (revision: number): At => ({
  position: 100,
  stream: STREAM,
  revision,
  eventId: `${STREAM}@${String(revision)}`,
  correlationId: 'c',
});

/** The units' way: unpack, fold, pack again (what the dispatch fold did for every batched event). */
const asUnits = (e: BatchDeliveryEvent, at: At, units: readonly UnitState[]): UnitState[] => {
  const view = new Map(units.map((u) => [u.key, u]));
  for (const u of evolveUnits(e, at, view)) view.set(u.key, u);
  return [...view.values()];
};

describe('a batched event folded into its group kept packed', () => {
  it('leaves the group as folding it into the units and packing them does', () => {
    fc.assert(
      fc.property(group, event, fc.integer({ min: -1, max: 7 }), (units, e, revision) => {
        const packed = packGroup(STREAM, units);
        expect(isFoldable(packed)).toBe(true);
        const at = atOf(revision);
        const before = unpackGroup(STREAM, packed);
        const after = asUnits(e, at, before);
        const moved = evolveUnits(e, at, new Map(before.map((u) => [u.key, u]))).length > 0;
        const got = foldPacked(e, at, packed, stepIndex(packed));
        expect(got !== undefined).toBe(moved);
        expect(got ?? packed).toEqual(packGroup(STREAM, after));
        expect(unpackGroup(STREAM, got ?? packed)).toEqual(after);
        expect(packedGroupWakeAt(got ?? packed)).toBe(groupWakeAt(after));
      }),
      { numRuns: 2_000 },
    );
  });

  it('is not taken for a group with a step kept whole', () => {
    const units = [
      step('a', 0, { status: 'pending' }, T0, 0, -1),
      { ...step('b', 1, { status: 'pending' }, T0, 0, -1), urgency: 4 },
    ];
    expect(isFoldable(packGroup(STREAM, units))).toBe(false);
    // Its wake-up time counts the step kept whole too.
    const later = [{ ...units[0], at: T0 + 5_000 } as UnitState, units[1] as UnitState];
    expect(packedGroupWakeAt(packGroup(STREAM, later))).toBe(T0);
    expect(isFoldable(packGroup(STREAM, []))).toBe(true);
  });
});

describe("a triage batch's steps planned straight as their new groups, packed", () => {
  const plan = (digest: boolean): TriageEventOf<'MessageTriaged'> => ({
    type: 'MessageTriaged',
    data: {
      mid: MID,
      batch: 3,
      due: iso(T0),
      expiresAt: iso(T0 + 60_000),
      urgency: 2,
      collapse: 'news',
      recipients: ['a', 'b', 'c', 'a'].map((uid, i) => ({
        uid: asUserId(uid),
        online: i === 1,
        steps: [
          { channel: 'websocket' as const, at: iso(T0), reason: 'live-session' as const },
          { channel: 'fcm' as const, deviceId: asDeviceId(`d-${uid}`), at: iso(T0 + i), reason: 'offline' as const },
          { channel: 'apns' as const, deviceId: asDeviceId(`e-${uid}`), at: iso(T0), reason: 'offline' as const },
          {
            channel: 'email' as const,
            at: iso(T0 + 30_000),
            reason: 'unread' as const,
            ...(digest && i === 2 ? { digest: iso(T0) } : {}),
          },
        ],
      })),
    },
  });
  const at: At = { position: 7, stream: `triage-${MID}`, revision: 0, eventId: `triage-${MID}@0`, correlationId: 'c' };

  it('are the groups the units planned give, packed, each in the order its steps were planned', () => {
    const e = plan(false);
    const units = evolveUnits(e, at, new Map());
    const streams = [...new Set(units.map((u) => u.stream))];
    const expected = new Map(
      streams.map((s) => [
        s,
        packGroup(
          s,
          units.filter((u) => u.stream === s),
        ),
      ]),
    );
    const got = plannedGroups(e.data, at);
    expect(got).toEqual(expected);
    expect([...(got?.keys() ?? [])]).toEqual(streams);
    // The fourth recipient names a's steps again: planned once, as first given.
    expect(got?.get(groupStream(MID, 'fcm', 3))?.u.map((p) => [p[0], p[2]])).toEqual([
      ['a', T0],
      ['b', T0 + 1],
      ['c', T0 + 2],
    ]);
    expect(JSON.stringify(got?.get(groupStream(MID, 'email', 3)))).toBe(
      JSON.stringify(
        packGroup(
          groupStream(MID, 'email', 3),
          units.filter((u) => u.channel === 'email'),
        ),
      ),
    );
  });

  it('are not planned so when a step goes into a digest', () => {
    expect(plannedGroups(plan(true).data, at)).toBeUndefined();
  });

  // Distinct recipients are deduplicated step by step within each recipient, a batch naming a
  // uid twice by key (issue 13): both give what folding the plan into units and packing gives,
  // for steps repeated within a recipient, across recipients, on channels and devices alike.
  it('are the groups the units planned give, packed, for generated batches (uids named once or twice, steps repeated)', () => {
    const kinds = [
      { channel: 'websocket' as const },
      { channel: 'fcm' as const, deviceId: asDeviceId('d1') },
      { channel: 'fcm' as const, deviceId: asDeviceId('d2') },
      { channel: 'apns' as const, deviceId: asDeviceId('d1') },
      { channel: 'email' as const },
      { channel: 'sms' as const },
    ];
    const step = fc.record({ kind: fc.nat(kinds.length - 1), at: fc.nat(3) });
    const recipients = fc.array(
      fc.record({ uid: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), steps: fc.array(step, { maxLength: 5 }) }),
      { minLength: 1, maxLength: 6 },
    );
    const distinct = recipients.map((rs) => rs.map((r, i) => ({ ...r, uid: `${r.uid}${String(i)}` })));
    const counted = { repeated: 0, distinct: 0 };
    fc.assert(
      fc.property(fc.oneof(recipients, distinct), fc.boolean(), (rs, digest) => {
        const e: TriageEventOf<'MessageTriaged'> = {
          type: 'MessageTriaged',
          data: {
            mid: MID,
            batch: 1,
            due: iso(T0),
            expiresAt: iso(T0 + 60_000),
            urgency: 3,
            recipients: rs.map((r, n) => ({
              uid: asUserId(r.uid),
              online: false,
              steps: r.steps.map((x, k) => ({
                ...(kinds[x.kind] ?? { channel: 'email' as const }),
                at: iso(T0 + x.at * 1_000),
                reason: 'offline' as const,
                ...(digest && n === rs.length - 1 && k === 0 ? { digest: iso(T0) } : {}),
              })),
            })),
          },
        };
        const got = plannedGroups(e.data, at);
        const steps = e.data.recipients.flatMap((r) => r.steps).filter((x) => x.channel !== 'websocket');
        if (steps.some((x) => x.digest !== undefined)) {
          expect(got).toBeUndefined();
          return;
        }
        const units = evolveUnits(e, at, new Map());
        const streams = [...new Set(units.map((u) => u.stream))];
        expect([...(got?.keys() ?? [])]).toEqual(streams);
        for (const s of streams)
          expect(JSON.stringify(got?.get(s))).toBe(
            JSON.stringify(
              packGroup(
                s,
                units.filter((u) => u.stream === s),
              ),
            ),
          );
        const uids = rs.map((r) => r.uid);
        counted[new Set(uids).size < uids.length ? 'repeated' : 'distinct'] += 1;
      }),
      { numRuns: 1_000, seed: 13 },
    );
    expect(counted.repeated).toBeGreaterThan(100);
    expect(counted.distinct).toBeGreaterThan(100);
  });
});
