import { isRight } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { decideFire, decidePlan, evolveTriage, initialTriage } from '../../../domain/delivery/triage.js';
import type { PlanBatches, TriageState } from '../../../domain/delivery/triage.js';
import { triageConfig } from '../../../domain/triage/config.js';
import type { RecipientFacts } from '../../../domain/triage/types.js';
import { DomainEvent } from '../../../schema/events.js';
import type { PublishedData } from '../../../schema/delivery-state.js';
import type { TriageEventOf } from '../../../schema/triage-events.js';
import { BOB, MID, MINUTE, T0, iso } from './fixtures.js';
import fc from 'fast-check';
import { splitPage } from '../../../domain/delivery/live-split.js';

// The triage workflow of one message (stream triage-<mid>), Given/When/Then: given the
// stream's events, when the scheduler fires the message's timer or triage plans it, then the
// append (at the stream's revision) or the reason nothing happens.
type TriageStreamEvent = TriageEventOf<'MessageDue'> | TriageEventOf<'MessageTriaged'>;
const given = (events: readonly TriageStreamEvent[]): TriageState => events.reduce(evolveTriage, initialTriage());

const DUE = iso(T0 + 10 * MINUTE);
const due: TriageEventOf<'MessageDue'> = { type: 'MessageDue', data: { mid: MID, due: DUE } };

describe('a scheduled message whose timer fires', () => {
  it('is recorded due once: MessageDue expecting an empty stream', () => {
    expect(decideFire({ mid: MID, status: 'scheduled', scheduled: DUE }, given([]))).toEqual({
      kind: 'append',
      stream: `triage-${MID}`,
      revision: -1,
      events: [due],
    });
  });

  it('is not recorded twice, and never when it was cancelled or retracted meanwhile', () => {
    expect(decideFire({ mid: MID, status: 'scheduled', scheduled: DUE }, given([due]))).toEqual({
      kind: 'ignore',
      reason: 'already due',
    });
    for (const status of ['cancelled', 'retracted'] as const)
      expect(decideFire({ mid: MID, status, scheduled: DUE }, given([]))).toEqual({
        kind: 'ignore',
        reason: `message is ${status}`,
      });
  });
});

describe('planning the audience', () => {
  // Through the event codec, as delivery/ reads it from the log.
  const published = DomainEvent.decode({
    type: 'MessagePublished',
    data: {
      mid: MID,
      from: BOB,
      msg: 'hi',
      audience: { kind: 'thread', tid: 't-1' },
      opts: {},
      urgency: 3,
      at: iso(T0),
    },
  });
  if (!isRight(published) || published.right.type !== 'MessagePublished') throw new Error('a valid MessagePublished');
  const data: PublishedData = published.right.data;
  const carol: RecipientFacts = {
    uid: 'carol',
    online: false,
    devices: [],
    hasEmail: false,
    hasCell: false,
    channels: [],
  };
  const plan = (over: Partial<PlanBatches> = {}): PlanBatches => ({
    now: T0,
    data,
    status: 'published',
    message: { mid: MID, urgency: 3, due: T0 },
    expiresAt: T0 + 60 * MINUTE,
    config: triageConfig({ available: ['websocket'] }),
    pages: [{ items: [carol], next: 'carol' }, { items: [{ ...carol, uid: 'dave' }] }],
    ...over,
  });

  it('appends one MessageTriaged per page, each with the cursor to continue from but the last', () => {
    const intent = decidePlan(plan(), given([]));
    expect(intent).toMatchObject({ kind: 'append', stream: `triage-${MID}`, revision: -1 });
    const events = intent.kind === 'append' ? intent.events : [];
    expect(events.map((e) => (e.type === 'MessageTriaged' ? [e.data.batch, e.data.next] : []))).toEqual([
      [0, 'carol'],
      [1, undefined],
    ]);
    expect(events.map((e) => (e.type === 'MessageTriaged' ? e.data.recipients.map((r) => r.uid) : []))).toEqual([
      ['carol'],
      ['dave'],
    ]);
  });

  it('resumes after the last batch written (after MessageDue, at the revision it reached)', () => {
    const [first] = (() => {
      const i = decidePlan(plan(), given([]));
      return i.kind === 'append' ? i.events : [];
    })();
    if (first?.type !== 'MessageTriaged') throw new Error('expected a batch');
    const resumed = decidePlan(plan({ pages: [{ items: [{ ...carol, uid: 'dave' }] }] }), given([due, first]));
    expect(resumed).toMatchObject({ kind: 'append', revision: 1, events: [{ data: { batch: 1 } }] });
    const last = resumed.kind === 'append' ? resumed.events[0] : undefined;
    if (last?.type !== 'MessageTriaged') throw new Error('expected a batch');
    expect(decidePlan(plan(), given([due, first, last]))).toEqual({ kind: 'ignore', reason: 'triaged' });
  });

  it('records a cancelled or expired message as skipped, planning nobody', () => {
    expect(decidePlan(plan({ status: 'cancelled' }), given([]))).toMatchObject({
      kind: 'append',
      events: [{ type: 'MessageTriaged', data: { batch: 0, recipients: [], skipped: 'cancelled' } }],
    });
    expect(decidePlan(plan({ now: T0 + 61 * MINUTE }), given([]))).toMatchObject({
      events: [{ type: 'MessageTriaged', data: { recipients: [], skipped: 'expired' } }],
    });
  });

  it('lists recipients planned only the websocket by uid, and keeps everyone else a full plan', () => {
    const live = { ...carol, uid: 'erin', online: true };
    const withPhone = { ...carol, uid: 'fred', online: true, devices: [{ deviceId: 'd-1', channel: 'fcm' as const }] };
    const config = triageConfig({ available: ['websocket', 'fcm'] });
    const intent = decidePlan(plan({ config, pages: [{ items: [live, carol, withPhone] }] }), given([]));
    const batch = intent.kind === 'append' ? intent.events[0] : undefined;
    if (batch?.type !== 'MessageTriaged') throw new Error('expected a batch');
    expect(batch.data.live).toEqual(['erin']);
    expect(batch.data.liveAt).toBe(iso(T0));
    expect(batch.data.recipients.map((r) => [r.uid, r.steps.map((st) => `${st.channel}:${st.reason}`)])).toEqual([
      ['carol', []],
      ['fred', ['websocket:live-session', 'fcm:unseen']],
    ]);
    // What is appended is what the log's codec accepts.
    expect(isRight(DomainEvent.decode(batch))).toBe(true);
    // Nobody online: no live list at all (the event has the shape it always had).
    const offline = decidePlan(plan(), given([]));
    expect(offline.kind === 'append' ? offline.events.map((e) => 'live' in e.data) : []).toEqual([false, false]);
  });

  // A split page (domain/delivery/live-split.ts) plans only its rest: what it appends must be what
  // the whole page planned gives, and with a root only `live` becomes the reference to it.
  it('plans a split page as the whole page; with a root, names it instead of the same list', () => {
    const config = triageConfig({ available: ['websocket', 'fcm', 'email'] });
    const person = fc.record({
      online: fc.boolean(),
      device: fc.boolean(),
      hasEmail: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(person, { maxLength: 12 }),
        fc.integer({ min: 0, max: 90 }),
        fc.constantFrom<1 | 3 | 4>(1, 3, 4),
        (people, ttlMinutes, urgency) => {
          const items: RecipientFacts[] = people.map((x, k) => ({
            ...carol,
            uid: `u${String(k)}`,
            online: x.online,
            hasEmail: x.hasEmail,
            devices: x.device ? [{ deviceId: `d-${String(k)}`, channel: 'fcm' as const }] : [],
          }));
          const cmd = (split: boolean, root = false) =>
            plan({
              config,
              data: { ...data, urgency },
              message: { mid: MID, urgency, due: T0, ttlSeconds: ttlMinutes * 60 },
              // A short lifetime drops a push planned after it: such a recipient is live-only too.
              expiresAt: T0 + ttlMinutes * MINUTE,
              pages: [
                {
                  items,
                  ...(split
                    ? {
                        split: { ...splitPage(items), ...(root ? { root: { mid: 'm-root', batch: 2, urgency } } : {}) },
                      }
                    : {}),
                },
              ],
            });
          const whole = decidePlan(cmd(false), given([]));
          expect(decidePlan(cmd(true), given([]))).toEqual(whole);
          const named = decidePlan(cmd(true, true), given([]));
          const [w] = whole.kind === 'append' ? whole.events : [];
          const [n] = named.kind === 'append' ? named.events : [];
          if (w?.type !== 'MessageTriaged' || n?.type !== 'MessageTriaged') throw new Error('expected batches');
          const liveOnlyByFacts = items.filter((r) => r.online && r.devices.length === 0 && !r.hasEmail).length;
          if (w.data.live !== undefined && w.data.live.length === liveOnlyByFacts) {
            const { live, ...rest } = w.data;
            expect(n.data).toEqual({ ...rest, liveOf: { mid: 'm-root', batch: 2, count: live.length } });
            expect(isRight(DomainEvent.decode(n))).toBe(true);
          } else expect(n).toEqual(w);
        },
      ),
      { numRuns: 300 },
    );
  });
});
