import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeGroup, encodeGroup } from '../../../adapters/delivery-state/sqlite-groups.js';
import { openSqliteDeliveryState } from '../../../adapters/delivery-state/sqlite.js';
import { packGroup } from '../../../schema/group-row.js';
import { groupStream, stepKey } from '../../../domain/triage/keys.js';
import { dispatchFold } from '../../../delivery/dispatch-fold.js';
import { foldHandler } from '../../../delivery/follow.js';
import type { DomainEvent } from '../../../schema/events.js';
import { attempted, KEY, MID as PLANNED, NODE_A, ref, STREAM, T0, triaged } from './fixtures.js';
import type { DeliveryStateStore } from '../../../ports/delivery-state.js';
import type { UnitStage, UnitState } from '../../../schema/delivery-state.js';

// Delivery's state keeps the steps of one group stream as one row (issues 13, 15): what it
// stores must read back as the units it was given, whatever their stage, including a step
// that does not share the group's plan; and the per-group reads (claims of an earlier run,
// the report's counts, receipts and collapse keys for many recipients) must answer as the
// per-unit reads do.
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const open = (): DeliveryStateStore => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-groups-'));
  dirs.push(dir);
  return openSqliteDeliveryState(join(dir, 'reactors.db'));
};

const MID = 'm1';
const GROUP = groupStream(MID, 'fcm', 0);
const step = (uid: string, stage: UnitStage, more: Partial<UnitState> = {}): UnitState => ({
  key: stepKey({ mid: MID, uid, channel: 'fcm', deviceId: `d-${uid}` }),
  kind: 'step',
  mid: MID,
  uid,
  channel: 'fcm',
  deviceId: `d-${uid}`,
  digest: null,
  collapse: 'news',
  urgency: 2,
  due: 1_000,
  expiresAt: 9_000,
  cause: 'triage-m1@0',
  correlationId: 'c1',
  stage,
  at: 1_000,
  attempt: 0,
  stream: GROUP,
  revision: -1,
  waiting: [],
  ...more,
});
const byKey = (us: readonly UnitState[]): UnitState[] => [...us].sort((a, b) => a.key.localeCompare(b.key));

const units: UnitState[] = [
  step('a', { status: 'pending' }),
  step('b', { status: 'claimed', node: 'n1', run: 'r1', leaseUntil: 5_000 }, { attempt: 1, revision: 3 }),
  step('c', { status: 'done' }, { attempt: 1, revision: 4 }),
  step('d', { status: 'skipped', reason: 'read' }, { revision: 2 }),
  step('e', { status: 'given-up', reason: 'gone' }, { attempt: 8, revision: 7, at: 4_000 }),
  // Does not share the group's plan (another urgency): kept whole.
  step(
    'f',
    { status: 'pending' },
    { urgency: 4, deviceId: null, key: stepKey({ mid: MID, uid: 'f', channel: 'fcm' }) },
  ),
];

describe("a group's steps stored as one row", () => {
  it('read back as the units written, in every stage, including one that does not share the plan', () => {
    expect(byKey(decodeGroup(GROUP, encodeGroup(GROUP, units)))).toEqual(byKey(units));
  });

  it('read back neighbouring claims that share a stage, and those that differ in one part, each as written', () => {
    // The reader shares one stage object between neighbouring steps with the same claim: a
    // neighbour differing in node, run or lease must keep its own.
    const claim = (uid: string, node: string, run: string, leaseUntil: number): UnitState =>
      step(uid, { status: 'claimed', node, run, leaseUntil }, { attempt: 1, revision: 2 });
    const claims = [
      claim('p1', 'n1', 'r1', 5_000),
      claim('p2', 'n1', 'r1', 5_000),
      claim('p3', 'n1', 'r1', 6_000),
      claim('p4', 'n1', 'r2', 6_000),
      claim('p5', 'n2', 'r2', 6_000),
      step('p6', { status: 'done' }, { attempt: 1, revision: 3 }),
      claim('p7', 'n2', 'r2', 6_000),
      step('p8', { status: 'pending' }),
    ];
    const back = decodeGroup(GROUP, encodeGroup(GROUP, claims));
    expect(back).toEqual(claims);
    expect(back[1]?.stage).toBe(back[0]?.stage);
    expect(back[2]?.stage).not.toBe(back[1]?.stage);
  });

  it('read back a step whose key is not the one its plan makes (kept whole) as it was', () => {
    // The row rebuilds a packed step's key from the plan: a step whose key differs in any part
    // (a near miss of the key compared in place) must not be packed.
    const near = [
      step('g', { status: 'pending' }, { key: `${MID}/g/fcm/d-gx` }),
      step('h', { status: 'pending' }, { key: `${MID}/h/fcm` }),
      step('i', { status: 'pending' }, { key: `${MID}/i/fcm/d-i/` }),
      step('j', { status: 'pending' }, { key: `${MID}-j/fcm/d-j` }),
      step('k', { status: 'pending' }, { key: `${MID}/k/fcmx/d-k` }),
      step('l', { status: 'pending' }, { key: `${MID}/l-fcm/d-l` }),
      step('m/n', { status: 'pending' }),
      step('o', { status: 'pending' }, { deviceId: null, key: `${MID}/o/fcm` }),
    ];
    const all = [...units, ...near];
    expect(byKey(decodeGroup(GROUP, encodeGroup(GROUP, all)))).toEqual(byKey(all));
    // The well-formed ones are packed (not kept whole): the row stores them without their key.
    const stored = JSON.parse(encodeGroup(GROUP, all)) as { x: readonly UnitState[] };
    expect(stored.x.map((u) => u.uid).sort()).toEqual(['f', 'g', 'h', 'i', 'j', 'k', 'l']);
  });

  it("are found by stream, by a step's key, with their revision, claims of an earlier run and counts", async () => {
    const state = open();
    await state.commit({
      groups: [{ stream: GROUP, packed: packGroup(GROUP, units) }],
      deliveries: [{ type: 'triaged', mid: MID, due: 1_000, expiresAt: 9_000, recipients: 6, batch: 0, position: 1 }],
    });
    expect(byKey((await state.units.groups([GROUP, 'deliveries-x/fcm/0'])).get(GROUP) ?? [])).toEqual(byKey(units));
    expect([...(await state.units.groupsOf([units[2]?.key ?? ''])).keys()]).toEqual([GROUP]);
    expect((await state.units.groupRevisions([GROUP])).get(GROUP)).toBe(7);
    expect((await state.units.claimsOfEarlierRuns('n1', 'r2')).map((u) => u.uid)).toEqual(['b']);
    expect(await state.units.claimsOfEarlierRuns('n1', 'r1')).toEqual([]);
    expect((await state.reports.recent(1))[0]?.steps).toEqual({
      pending: 2,
      claimed: 1,
      done: 1,
      skipped: 1,
      'given-up': 1,
    });
    // The claim ended: no earlier run holds anything in the group any more.
    const done = units.map((u) => (u.uid === 'b' ? { ...u, stage: { status: 'done' as const }, revision: 8 } : u));
    await state.commit({ groups: [{ stream: GROUP, packed: packGroup(GROUP, done) }] });
    expect(await state.units.claimsOfEarlierRuns('n1', 'r2')).toEqual([]);
    await state.close();
  });

  it('answers receipts, read markers and collapse keys for many recipients as for each one', async () => {
    const state = open();
    await state.commit({
      deliveries: [
        { type: 'engaged', uid: 'a', mid: MID, seen: true, read: false },
        { type: 'engaged', uid: 'b', mid: MID, seen: true, read: true },
        { type: 'engaged', uid: 'c', mid: 'other', seen: true, read: true },
        { type: 'read-marker', uid: 'd', scope: '', mid: 'm2' },
        { type: 'read-marker', uid: 'e', scope: 't1', mid: 'm2' },
        { type: 'read-marker', uid: 'f', scope: 't2', mid: 'm2' },
        { type: 'collapse', uid: 'a', ckey: 'news', due: 2_000, mid: 'm2' },
        { type: 'collapse', uid: 'b', ckey: 'news', due: 1_000, mid: MID },
        { type: 'collapse', uid: 'c', ckey: 'sport', due: 2_000, mid: 'm2' },
      ],
    });
    const uids = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    for (const tid of [undefined, 't1']) {
      const many = await state.units.engagements(uids, MID, tid);
      for (const uid of uids) expect(many.get(uid)).toEqual(await state.units.engagement(uid, MID, tid));
    }
    const newer = await state.units.collapsedAmong(uids, 'news', MID);
    for (const uid of uids) expect(newer.has(uid)).toBe(await state.units.collapsed(uid, 'news', MID));
    expect([...newer]).toEqual(['a']);
    await state.close();
  });
});

describe('the dispatch fold over group rows', () => {
  const followed = (event: DomainEvent, position: number, stream: string, revision: number) => ({
    event,
    position,
    stream,
    revision,
    metadata: {
      eventId: `${stream}@${String(revision)}`,
      occurredAt: new Date(T0).toISOString(),
      actor: { uid: 'system', roles: [] },
      correlationId: 'corr-1',
      causationId: 'corr-1',
    },
  });

  it("plans a batch's steps as their group with the group's timer; a step whose facts an older node wrote to its own stream leaves the group", async () => {
    const state = open();
    const handler = foldHandler('dispatch', state, new Set(['MessageTriaged', 'DeliveryAttempted']), dispatchFold);
    await handler.handle([followed(triaged(5_000), 1, `triage-${PLANNED}`, 0)]);
    expect((await state.units.groups([STREAM])).get(STREAM)?.map((u) => u.key)).toEqual([KEY]);
    expect(await state.timers.due(T0 + 5_000, 10)).toEqual([{ kind: 'group', key: STREAM, dueAt: T0 + 5_000 }]);
    // A node from before batching claims it on its own stream.
    const own = `delivery-${KEY}`;
    await handler.handle([followed(attempted(0, NODE_A, T0 + 60_000), 2, own, 0)]);
    expect((await state.units.groups([STREAM])).get(STREAM)).toEqual([]);
    const moved = (await state.units.get([KEY])).get(KEY);
    expect(moved).toMatchObject({ ...ref, stream: own, revision: 0, stage: { status: 'claimed', node: 'node-a' } });
    expect(await state.timers.due(T0 + 60_000, 10)).toEqual([{ kind: 'step', key: KEY, dueAt: T0 + 60_000 }]);
    await state.close();
  });
});
