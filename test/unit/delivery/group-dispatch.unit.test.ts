import { describe, expect, it } from 'vitest';
import { batchOfParts, compact } from '../../../domain/delivery/batches.js';
import { decideAnswer, decideStep, refOfStep } from '../../../domain/delivery/dispatch.js';
import type { Dispatcher } from '../../../domain/delivery/dispatch.js';
import { decideGroupAnswer, decideGroupStep } from '../../../domain/delivery/group-dispatch.js';
import type { GroupPart } from '../../../domain/delivery/group-dispatch.js';
import type { Intent } from '../../../domain/delivery/intents.js';
import type { StepMarkers } from '../../../domain/triage/escalation.js';
import { DEFAULT_RETRY_POLICY } from '../../../domain/triage/retry.js';
import type { ProviderOutcome } from '../../../domain/triage/retry.js';
import type { UnitState } from '../../../schema/delivery-state.js';
import type { DeliveryEvent } from '../../../schema/triage-events.js';
import { MID, MINUTE, NODE_A, SECOND, T0, attempted, nothing, triaged, unit } from './fixtures.js';

// A grouped step is decided straight as its entry in the group's batched events
// (domain/delivery/group-dispatch.ts): every answer must be the per-unit decision
// (decideStep, decideAnswer) as the writer compacts it, to the byte (the log is unchanged).
const NODE_B: Dispatcher = { ...NODE_A, node: 'node-b', run: 'run-9' };

/** The same step for another recipient, with or without a device. */
const other = (u: UnitState, i: number): UnitState => {
  const uid = `user-${String(i)}`;
  const deviceId = i % 3 === 0 ? null : `d-${String(i)}`;
  return { ...u, uid, deviceId, key: `${MID}/${uid}/fcm${deviceId === null ? '' : `/${deviceId}`}` };
};

const eventsOf = (i: Intent): readonly DeliveryEvent[] => {
  const a = i.kind === 'send' ? i.claim : i;
  return a.kind === 'append' ? (a.events as DeliveryEvent[]) : [];
};
const asBytes = (x: unknown): string => JSON.stringify(x);

const states: readonly UnitState[] = [
  unit([triaged()]),
  unit([triaged(5 * MINUTE)]),
  unit([triaged(), attempted(0, NODE_B, T0 + 2 * MINUTE)]),
  unit([triaged(), attempted(0, { ...NODE_A, run: 'run-0' }, T0 + 2 * MINUTE)]),
  unit([triaged(), attempted(0, NODE_A, T0 + 2 * MINUTE)]),
];
const markerCases: readonly Partial<StepMarkers>[] = [
  {},
  { read: true },
  { seen: true },
  { cancelled: true },
  { optedOut: true },
  { collapsed: true },
  { reachable: false },
];
const times = [T0, T0 + MINUTE, T0 + 2 * MINUTE, T0 + 61 * MINUTE];
const outcomes: readonly (ProviderOutcome | undefined)[] = [
  { kind: 'delivered' },
  { kind: 'delivered', providerId: 'p-1' },
  { kind: 'retry', afterMs: 30 * SECOND, reason: 'HTTP 429' },
  { kind: 'failed', reason: 'HTTP 400 '.repeat(100) },
  { kind: 'gone', reason: 'UNREGISTERED' },
  undefined,
];

describe('a grouped step decided as its entry', () => {
  it('when due: the same ignore, skip or claim as decideStep, compacted, for every state, marker and time', () => {
    let compared = 0;
    for (const [n, base] of states.entries())
      for (const u of [base, other(base, n), other(base, n + 1)])
        for (const markers of markerCases)
          for (const now of times)
            for (const by of [NODE_A, NODE_B]) {
              const cmd = { now, by, markers: { ...nothing, ...markers } };
              const perUnit = decideStep(cmd, u);
              const grouped = decideGroupStep(cmd, u);
              if (perUnit.kind === 'ignore') {
                expect(grouped).toEqual(perUnit);
                continue;
              }
              expect(grouped.kind).toBe(perUnit.kind === 'send' ? 'claim' : 'skip');
              if (grouped.kind === 'ignore') continue;
              expect(asBytes(batchOfParts(MID, 'fcm', [grouped]))).toBe(asBytes(compact(eventsOf(perUnit))));
              compared += 1;
            }
    expect(compared).toBeGreaterThan(100);
  });

  it('when answered: the same outcome entry as decideAnswer, compacted, and the same revoke', () => {
    const claimed = unit([triaged(), attempted(0, NODE_A, T0 + 2 * MINUTE)]);
    for (const u of [claimed, other(claimed, 3), other(claimed, 4)])
      for (const outcome of outcomes)
        for (const attempt of [0, 1, 4, 7])
          for (const random of [0, 0.5, 0.99]) {
            const cmd = { now: T0, outcome, attempt, revision: 0, policy: DEFAULT_RETRY_POLICY, random };
            const perUnit = decideAnswer(cmd, u, refOfStep(u));
            const grouped = decideGroupAnswer(cmd, u);
            const [recorded, ...rest] = perUnit;
            expect(recorded?.kind).toBe('append');
            if (recorded === undefined) continue;
            expect(asBytes(batchOfParts(MID, 'fcm', [grouped.part]))).toBe(asBytes(compact(eventsOf(recorded))));
            expect(grouped.revoke === undefined ? [] : [grouped.revoke]).toEqual(rest);
          }
  });

  it("a group's entries give the batched events compact gives for their units' events: kinds, leases, chunks", () => {
    const base = unit([triaged()]);
    const parts: GroupPart[] = [];
    const events: DeliveryEvent[] = [];
    for (let i = 0; i < 2_600; i++) {
      const u = other(base, i);
      const by = i % 5 === 4 ? NODE_B : NODE_A;
      const markers = { ...nothing, ...(i % 4 === 1 ? { read: true } : {}) };
      const cmd = { now: T0 + (i % 7 === 0 ? SECOND : 0), by, markers };
      const step = decideGroupStep(cmd, u);
      if (step.kind !== 'ignore') parts.push(step);
      events.push(...eventsOf(decideStep(cmd, u)));
      if (i % 2 === 0) continue;
      const answer = {
        now: T0,
        outcome: outcomes[i % outcomes.length],
        attempt: i % 3,
        revision: 0,
        policy: DEFAULT_RETRY_POLICY,
        random: 0.5,
      };
      parts.push(decideGroupAnswer(answer, u).part);
      events.push(...decideAnswer(answer, u, refOfStep(u)).flatMap(eventsOf));
    }
    const batched = batchOfParts(MID, 'fcm', parts);
    expect(batched.length).toBeGreaterThan(6);
    expect(asBytes(batched)).toBe(asBytes(compact(events)));
  });
});
