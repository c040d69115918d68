import { describe, expect, it } from 'vitest';
import { compact, expandDeliveries, unitParts } from '../../../domain/delivery/batches.js';
import { evolveUnits } from '../../../domain/delivery/units.js';
import type { At } from '../../../domain/delivery/units.js';
import type { DeliveryEvent } from '../../../schema/triage-events.js';
import { TriageEvent } from '../../../schema/triage-events.js';
import { MID, NODE_A, T0, attempted, iso, ref, triaged, unit, KEY, STREAM } from './fixtures.js';

// Batched delivery events (issues 13, 15): what dispatch decides per unit is written as one
// event per kind for a group, and every reader expands it back to exactly the per-unit events.

const carol = { key: `${MID}/carol/fcm`, uid: ref.uid.replace('bob', 'carol'), channel: 'fcm', mid: MID } as const;
const decided: DeliveryEvent[] = [
  { type: 'DeliverySkipped', data: { ...carol, uid: carol.uid as typeof ref.uid, reason: 'read' } },
  attempted(0, NODE_A, T0 + 60_000),
  { type: 'DeliverySucceeded', data: { ...ref, attempt: 0, providerId: 'p-1' } },
  {
    type: 'DeliveryFailed',
    data: { ...carol, uid: carol.uid as typeof ref.uid, attempt: 1, reason: '503', outcome: 'retry' },
  },
  {
    type: 'DeliveryRetryScheduled',
    data: { ...carol, uid: carol.uid as typeof ref.uid, attempt: 2, afterMs: 1000, at: iso(T0 + 1000) },
  },
];

describe('batched delivery events', () => {
  it('compact into one event per kind that decodes, and expand back to the same per-unit events', () => {
    const batch = compact(decided);
    expect(batch?.map((e) => e.type)).toEqual(['DeliveriesSkipped', 'DeliveriesClaimed', 'DeliveriesSent']);
    for (const e of batch ?? []) expect(TriageEvent.is(e) && TriageEvent.decode(e)._tag).toBe('Right');
    const back = (batch ?? []).flatMap(expandDeliveries);
    const sorted = (xs: readonly DeliveryEvent[]) => [...xs].map((e) => JSON.stringify(e)).sort();
    expect(sorted(back)).toEqual(sorted(decided));
    expect(batch?.flatMap((e) => unitParts(e).map((p) => p.key))).toEqual([carol.key, KEY, KEY, carol.key]);
  });

  it('refuses events of another message, channel, or a digest (they are written one by one)', () => {
    const other = { ...ref, channel: 'email' as const, key: `${MID}/bob/email` };
    expect(compact([attempted(0, NODE_A, T0), { type: 'DeliverySkipped', data: { ...other, reason: 'read' } }])).toBe(
      undefined,
    );
    expect(compact([{ type: 'DeliverySkipped', data: { ...ref, digest: iso(T0), reason: 'read' } }])).toBe(undefined);
  });

  it('move the units they name once, each through all its facts, and a redelivery changes nothing', () => {
    const planned = unit([triaged()]);
    expect(planned.stream).toBe(STREAM);
    const [claim, sent] = compact([attempted(0, NODE_A, T0 + 60_000)]) ?? [];
    const [outcome] =
      compact([
        { type: 'DeliveryFailed', data: { ...ref, attempt: 0, reason: '503', outcome: 'retry' } },
        { type: 'DeliveryRetryScheduled', data: { ...ref, attempt: 1, afterMs: 1000, at: iso(T0 + 5000) } },
      ]) ?? [];
    expect(sent).toBe(undefined);
    if (claim === undefined || outcome === undefined) throw new Error('no batch');
    const at = (revision: number, stream = STREAM): At => ({
      position: 10 + revision,
      stream,
      revision,
      eventId: `e${String(revision)}`,
      correlationId: 'c',
    });
    const units = new Map([[KEY, planned]]);
    const [claimed] = evolveUnits(claim, at(0), units);
    expect(claimed?.stage).toMatchObject({ status: 'claimed', node: NODE_A.node });
    units.set(KEY, claimed ?? planned);
    const [retrying] = evolveUnits(outcome, at(1), units);
    // Both facts of the answer applied: pending again at the retry's time, one attempt made.
    expect([retrying?.stage.status, retrying?.at, retrying?.attempt, retrying?.revision]).toEqual([
      'pending',
      T0 + 5000,
      1,
      1,
    ]);
    units.set(KEY, retrying ?? planned);
    expect(evolveUnits(outcome, at(1), units)).toEqual([]);
    expect(evolveUnits(claim, at(0), units)).toEqual([]);
    // The same revision of another stream is not this unit's.
    expect(evolveUnits(claim, at(2, `deliveries-${MID}/fcm/1`), units)).toEqual([]);
  });

  it('replay a log from before batching: a step whose first fact is in its own stream follows that stream', () => {
    const planned = unit([triaged()]);
    const at = (stream: string, revision: number): At => ({
      position: 20 + revision,
      stream,
      revision,
      eventId: `${stream}@${String(revision)}`,
      correlationId: 'c',
    });
    const own = `delivery-${KEY}`;
    const [claimed] = evolveUnits(attempted(0, NODE_A, T0 + 60_000), at(own, 0), new Map([[KEY, planned]]));
    expect([claimed?.stream, claimed?.revision, claimed?.stage.status]).toEqual([own, 0, 'claimed']);
    const units = new Map([[KEY, claimed ?? planned]]);
    const done: DeliveryEvent = { type: 'DeliverySucceeded', data: { ...ref, attempt: 0 } };
    expect(evolveUnits(done, at(own, 1), units)[0]?.stage.status).toBe('done');
    // ...and a group stream's event at a revision it has not seen there is not its.
    const [batch] = compact([done]) ?? [];
    if (batch === undefined) throw new Error('no batch');
    expect(evolveUnits(batch, at(STREAM, 5), units)).toEqual([]);
  });

  it('fold each entry straight from the batch to the state its per-unit events give, for every kind of entry', () => {
    const planned = unit([triaged()]);
    const claimed = unit([triaged(), attempted(0, NODE_A, T0 + 60_000)]);
    const at = (revision: number): At => ({ position: 50, stream: STREAM, revision, eventId: 'e', correlationId: 'c' });
    const cases: [typeof planned, DeliveryEvent[]][] = [
      [planned, [attempted(0, NODE_A, T0 + 60_000)]],
      [planned, [{ type: 'DeliverySkipped', data: { ...ref, reason: 'collapsed' } }]],
      [claimed, [{ type: 'DeliverySucceeded', data: { ...ref, attempt: 0, providerId: 'p' } }]],
      [claimed, [{ type: 'DeliveryFailed', data: { ...ref, attempt: 0, reason: '503', outcome: 'failed' } }]],
      [
        claimed,
        [
          { type: 'DeliveryFailed', data: { ...ref, attempt: 0, reason: '503', outcome: 'retry' } },
          { type: 'DeliveryRetryScheduled', data: { ...ref, attempt: 1, afterMs: 10, at: iso(T0 + 10) } },
        ],
      ],
      [
        claimed,
        [
          { type: 'DeliveryFailed', data: { ...ref, attempt: 7, reason: '503', outcome: 'retry' } },
          { type: 'DeliveryGivenUp', data: { ...ref, attempts: 8, reason: 'too many attempts' } },
        ],
      ],
    ];
    for (const [before, facts] of cases) {
      // The per-unit way: each fact folded after the other, as a log from before batching has them.
      let one = before;
      for (const f of facts) one = evolveUnits(f, at(one.revision + 1), new Map([[KEY, one]]))[0] ?? one;
      const [batch, extra] = compact(facts) ?? [];
      expect(extra).toBe(undefined);
      if (batch === undefined) throw new Error('no batch');
      const [folded] = evolveUnits(batch, at(before.revision + 1), new Map([[KEY, before]]));
      expect({ ...folded, revision: 0 }).toEqual({ ...one, revision: 0 });
      expect(folded).toBeDefined();
    }
  });
});
