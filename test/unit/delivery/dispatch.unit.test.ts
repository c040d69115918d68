import { describe, expect, it } from 'vitest';
import { decideAnswer, decideStep } from '../../../domain/delivery/dispatch.js';
import type { Dispatcher } from '../../../domain/delivery/dispatch.js';
import type { UnitEvent } from '../../../domain/delivery/units.js';
import type { StepMarkers } from '../../../domain/triage/escalation.js';
import { DEFAULT_RETRY_POLICY } from '../../../domain/triage/retry.js';
import type { ProviderOutcome } from '../../../domain/triage/retry.js';
import { DEVICE, MINUTE, NODE_A, SECOND, STREAM, T0, attempted, iso, nothing, ref, triaged, unit } from './fixtures.js';

// The dispatch workflow of one delivery stream, Given/When/Then: given the events of the
// plan and of the unit's stream, when the unit comes due (or the provider answers), then the
// intents (append, send after a claim, revoke, ignore with the reason).
const NODE_B: Dispatcher = { ...NODE_A, node: 'node-b', run: 'run-9' };

const given = (events: readonly UnitEvent[]) => ({
  whenDue: (now: number, markers: Partial<StepMarkers> = {}, by: Dispatcher = NODE_A) =>
    decideStep({ now, by, markers: { ...nothing, ...markers } }, unit(events)),
  whenAnswered: (outcome: ProviderOutcome | undefined, now = T0, attempt = 0, revision = 0) =>
    decideAnswer({ now, outcome, attempt, revision, policy: DEFAULT_RETRY_POLICY, random: 0.5 }, unit(events), {
      ...ref,
    }),
});

const claim = (revision: number, attempt: number, now: number, by: Dispatcher = NODE_A) => ({
  kind: 'send',
  claim: {
    kind: 'append',
    stream: STREAM,
    revision,
    events: [attempted(attempt, by, now + by.leaseMs)],
  },
});

describe('a step comes due', () => {
  it('is claimed at its stream revision before it is sent, when nothing stops it', () => {
    expect(given([triaged()]).whenDue(T0)).toEqual(claim(-1, 0, T0));
  });

  it('waits when it is looked at before its time', () => {
    expect(given([triaged(5 * MINUTE)]).whenDue(T0)).toEqual({ kind: 'ignore', reason: 'not due yet' });
  });

  it('is skipped with the reason, on its own stream, when it should no longer happen', () => {
    for (const [markers, reason] of [
      [{ read: true }, 'read'],
      [{ seen: true }, 'seen'],
      [{ cancelled: true }, 'cancelled'],
      [{ optedOut: true }, 'opted-out'],
      [{ reachable: false }, 'unreachable'],
    ] as const)
      expect(given([triaged()]).whenDue(T0, markers)).toEqual({
        kind: 'append',
        stream: STREAM,
        revision: -1,
        events: [{ type: 'DeliverySkipped', data: { ...ref, reason } }],
      });
    expect(given([triaged()]).whenDue(T0 + 61 * MINUTE)).toMatchObject({
      kind: 'append',
      events: [{ type: 'DeliverySkipped', data: { reason: 'expired' } }],
    });
  });

  it("is left alone while another node's claim holds, and taken over when its lease ends", () => {
    const claimedByB = [triaged(), attempted(0, NODE_B, T0 + 2 * MINUTE)];
    expect(given(claimedByB).whenDue(T0 + MINUTE)).toEqual({ kind: 'ignore', reason: 'claimed' });
    expect(given(claimedByB).whenDue(T0 + 2 * MINUTE)).toEqual(claim(0, 1, T0 + 2 * MINUTE));
  });

  it('is taken over at once from an earlier run of the same node (it died with that run)', () => {
    const earlierRun = [triaged(), attempted(0, { ...NODE_A, run: 'run-0' }, T0 + 2 * MINUTE)];
    expect(given(earlierRun).whenDue(T0 + SECOND)).toEqual(claim(0, 1, T0 + SECOND));
  });

  it('is never redone once it has an outcome', () => {
    const done: UnitEvent[] = [
      triaged(),
      attempted(0, NODE_A, T0 + 2 * MINUTE),
      { type: 'DeliverySucceeded', data: { ...ref, attempt: 0 } },
    ];
    expect(given(done).whenDue(T0 + MINUTE)).toEqual({ kind: 'ignore', reason: 'done' });
  });
});

describe('the provider answers a claimed attempt', () => {
  const claimed = [triaged(), attempted(0, NODE_A, T0 + 2 * MINUTE)];

  it('records success at the claim revision', () => {
    expect(given(claimed).whenAnswered({ kind: 'delivered', providerId: 'p-1' })).toEqual([
      {
        kind: 'append',
        stream: STREAM,
        revision: 0,
        events: [{ type: 'DeliverySucceeded', data: { ...ref, attempt: 0, providerId: 'p-1' } }],
      },
    ]);
  });

  it('schedules a retry no sooner than Retry-After', () => {
    const [recorded] = given(claimed).whenAnswered({ kind: 'retry', afterMs: 30 * SECOND, reason: 'HTTP 429' });
    expect(recorded).toEqual({
      kind: 'append',
      stream: STREAM,
      revision: 0,
      events: [
        { type: 'DeliveryFailed', data: { ...ref, attempt: 0, reason: 'HTTP 429', outcome: 'retry' } },
        {
          type: 'DeliveryRetryScheduled',
          data: { ...ref, attempt: 1, afterMs: 30 * SECOND, at: iso(T0 + 30 * SECOND) },
        },
      ],
    });
  });

  it('treats no answer for a delivery as a retry', () => {
    const [recorded] = given(claimed).whenAnswered(undefined);
    expect(recorded).toMatchObject({
      events: [
        { type: 'DeliveryFailed', data: { outcome: 'retry', reason: 'the channel gave no outcome' } },
        { type: 'DeliveryRetryScheduled' },
      ],
    });
  });

  it('gives up on a device the provider reports gone, and revokes it through the user command', () => {
    expect(given(claimed).whenAnswered({ kind: 'gone', reason: 'UNREGISTERED' })).toEqual([
      {
        kind: 'append',
        stream: STREAM,
        revision: 0,
        events: [
          { type: 'DeliveryFailed', data: { ...ref, attempt: 0, reason: 'UNREGISTERED', outcome: 'gone' } },
          { type: 'DeliveryGivenUp', data: { ...ref, attempts: 1, reason: 'UNREGISTERED' } },
        ],
      },
      { kind: 'revoke', uid: 'bob', deviceId: DEVICE, reason: 'UNREGISTERED' },
    ]);
  });
});
