import { describe, expect, it } from 'vitest';
import { decideDigest } from '../../../domain/delivery/digest.js';
import { timerChange, wakeAt } from '../../../domain/delivery/units.js';
import type { UnitEvent } from '../../../domain/delivery/units.js';
import { asMessageId } from '../../../schema/ids.js';
import type { TriageEventOf } from '../../../schema/triage-events.js';
import { BOB, KEY, MID, MINUTE, NODE_A, T0, attempted, iso, nothing, ref, triaged, unit, unitsOf } from './fixtures.js';

// The delivery units as a fold of the log (domain/delivery/units.ts) and the digest workflow,
// Given/When/Then: given the events, then the units' state, their timers, and what a digest
// decides when its window closes.
describe('the units a plan creates', () => {
  it('one per non-websocket step, pending at its time, with its timer; a redelivered plan changes nothing', () => {
    const u = unit([triaged(5 * MINUTE)]);
    expect(u).toMatchObject({ kind: 'step', mid: MID, uid: BOB, channel: 'fcm', revision: -1, attempt: 0 });
    expect(u.stage).toEqual({ status: 'pending' });
    expect(wakeAt(u)).toBe(T0 + 5 * MINUTE);
    expect([...unitsOf([triaged()]).keys()]).toEqual([KEY]);
    expect(unitsOf([triaged(), triaged(5 * MINUTE)]).get(KEY)?.at).toBe(T0);
  });

  it('a claim moves the timer to the end of its lease; an outcome clears it; a retry sets it again', () => {
    const claim = attempted(0, NODE_A, T0 + 2 * MINUTE);
    const claimed = unit([triaged(), claim]);
    expect(claimed).toMatchObject({ stage: { status: 'claimed', node: 'node-a' }, attempt: 1, revision: 0 });
    expect(timerChange(unit([triaged()]), claimed)).toEqual({ kind: 'step', key: KEY, at: T0 + 2 * MINUTE });
    const retry: UnitEvent[] = [
      { type: 'DeliveryFailed', data: { ...ref, attempt: 0, reason: 'HTTP 503', outcome: 'retry' } },
      { type: 'DeliveryRetryScheduled', data: { ...ref, attempt: 1, afterMs: MINUTE, at: iso(T0 + 3 * MINUTE) } },
    ];
    const failed = unit([triaged(), claim, retry[0] as UnitEvent]);
    const retried = unit([triaged(), claim, ...retry]);
    expect(retried).toMatchObject({ stage: { status: 'pending' }, at: T0 + 3 * MINUTE, revision: 2 });
    expect(wakeAt(retried)).toBe(T0 + 3 * MINUTE);
    const done = unit([triaged(), claim, { type: 'DeliverySucceeded', data: { ...ref, attempt: 0 } }]);
    expect(timerChange(claimed, done)).toEqual({ kind: 'step', key: KEY, at: null });
    expect(failed.stage.status).toBe('claimed');
  });
});

describe('a digest window', () => {
  const WINDOW = T0 + 60 * MINUTE;
  const DIGEST = `bob/email/${iso(WINDOW)}`;
  const MID2 = asMessageId('01900000-0000-7000-8000-000000000002');
  const second: TriageEventOf<'MessageTriaged'> = (() => {
    const t = triaged(0, WINDOW);
    return { type: 'MessageTriaged', data: { ...t.data, mid: MID2 } };
  })();
  const events = [triaged(0, WINDOW), second];
  const member = (mid: string) => unit(events, `${mid}/bob/email`);

  it('gathers the very-low urgency emails of a window into one digest unit, due at its end', () => {
    const d = unit(events, DIGEST);
    expect(d).toMatchObject({ kind: 'digest', waiting: [MID, MID2], at: WINDOW });
    expect(member(MID)).toMatchObject({ kind: 'member', digest: DIGEST });
    expect(wakeAt(member(MID))).toBeUndefined(); // members go out with their digest
  });

  it('when due, skips a member that was read on its own stream and carries the others in one claimed send', () => {
    const intents = decideDigest(
      {
        now: WINDOW,
        by: NODE_A,
        reachable: true,
        members: [
          { unit: member(MID), markers: { ...nothing, read: true }, known: true },
          { unit: member(MID2), markers: nothing, known: true },
        ],
      },
      unit(events, DIGEST),
    );
    expect(intents).toMatchObject([
      {
        kind: 'append',
        stream: `delivery-${MID}/bob/email`,
        revision: -1,
        events: [{ type: 'DeliverySkipped', data: { reason: 'read' } }],
      },
      {
        kind: 'send',
        claim: {
          stream: `digest-${DIGEST}`,
          revision: -1,
          events: [{ type: 'DeliveryAttempted', data: { key: DIGEST, mids: [MID2], attempt: 0, node: 'node-a' } }],
        },
      },
    ]);
  });

  it('is skipped, not sent, when nothing is left to carry', () => {
    const intents = decideDigest(
      {
        now: WINDOW,
        by: NODE_A,
        reachable: true,
        members: [{ unit: member(MID), markers: { ...nothing, cancelled: true }, known: true }],
      },
      unit([triaged(0, WINDOW)], DIGEST),
    );
    expect(intents.map((i) => (i.kind === 'append' ? [i.stream, i.events[0]?.type] : [i.kind]))).toEqual([
      [`delivery-${MID}/bob/email`, 'DeliverySkipped'],
      [`digest-${DIGEST}`, 'DeliverySkipped'],
    ]);
  });
});
