import { isRight } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { decidePlan, evolveTriage, initialTriage } from '../../../domain/delivery/triage.js';
import type { PlanBatches, TriageState } from '../../../domain/delivery/triage.js';
import { evolveUnits, unitKeysOf } from '../../../domain/delivery/units.js';
import { triageConfig } from '../../../domain/triage/config.js';
import { THREAD_TOPIC } from '../../../domain/triage/topics.js';
import type { RecipientFacts, StepChannel } from '../../../domain/triage/types.js';
import type { PublishedData } from '../../../schema/delivery-state.js';
import { DomainEvent } from '../../../schema/events.js';
import type { TriageEventOf } from '../../../schema/triage-events.js';
import { BOB, MID, MINUTE, T0, iso } from './fixtures.js';

// When triage chooses MQTT (domain/triage/topics.ts), Given/When/Then on the triage workflow:
// a user topic per recipient when MQTT is configured and nobody opted out; the thread topic
// once per message, in batch 0 only, under the sender; never without a configured broker.
type Triaged = TriageEventOf<'MessageTriaged'>;
type TriageStreamEvent = TriageEventOf<'MessageDue'> | Triaged;
const given = (events: readonly TriageStreamEvent[]): TriageState => events.reduce(evolveTriage, initialTriage());

const publish = (audience: object): PublishedData => {
  const d = DomainEvent.decode({
    type: 'MessagePublished',
    data: { mid: MID, from: BOB, msg: 'hi', audience, opts: {}, urgency: 3, at: iso(T0) },
  });
  if (!isRight(d) || d.right.type !== 'MessagePublished') throw new Error('a valid MessagePublished');
  return d.right.data;
};
const person = (uid: string, over: Partial<RecipientFacts> = {}): RecipientFacts => ({
  uid,
  online: false,
  devices: [],
  hasEmail: false,
  hasCell: false,
  channels: [],
  ...over,
});
const WITH_MQTT: readonly StepChannel[] = ['websocket', 'fcm', 'email', 'mqtt'];
const plan = (over: Partial<PlanBatches> = {}): PlanBatches => ({
  now: T0,
  data: publish({ kind: 'thread', tid: 'xform:1337' }),
  status: 'published',
  message: { mid: MID, urgency: 3, due: T0 },
  expiresAt: T0 + 60 * MINUTE,
  config: triageConfig({ available: WITH_MQTT }),
  pages: [{ items: [person('carol'), person('dave')] }],
  ...over,
});
const batches = (p: PlanBatches, s: TriageState = given([])): Triaged['data'][] => {
  const intent = decidePlan(p, s);
  if (intent.kind !== 'append') throw new Error(`expected an append, got ${intent.kind}`);
  return intent.events.map((e) => (e as Triaged).data);
};
const mqttSteps = (data: Triaged['data']) =>
  data.recipients.flatMap((r) => r.steps.filter((s) => s.channel === 'mqtt').map((s) => ({ uid: r.uid, ...s })));

describe('triage chooses MQTT', () => {
  it("plans each recipient's user topic at once, and the thread topic once under the sender", () => {
    const [first] = batches(plan());
    expect(first === undefined ? [] : mqttSteps(first)).toEqual([
      { uid: BOB, channel: 'mqtt', deviceId: THREAD_TOPIC, at: iso(T0), reason: 'topic' },
      { uid: 'carol', channel: 'mqtt', at: iso(T0), reason: 'topic' },
      { uid: 'dave', channel: 'mqtt', at: iso(T0), reason: 'topic' },
    ]);
  });

  it('puts the thread topic in batch 0 only, however many batches the audience takes', () => {
    const pages = [
      { items: [person('carol')], next: 'carol' },
      { items: [person('dave')], next: 'dave' },
      { items: [person('erin')] },
    ];
    const written = batches(plan({ pages }));
    expect(written.map((b) => mqttSteps(b).filter((s) => s.deviceId === THREAD_TOPIC).length)).toEqual([1, 0, 0]);
    // A resumed expansion (batch 0 is in the log) plans no second thread topic.
    const first = written[0];
    if (first === undefined) throw new Error('batch 0');
    const resumed = batches(plan({ pages: pages.slice(1) }), given([{ type: 'MessageTriaged', data: first }]));
    expect(resumed.flatMap(mqttSteps).filter((s) => s.deviceId === THREAD_TOPIC)).toEqual([]);
    expect(resumed.map((b) => b.batch)).toEqual([1, 2]);
  });

  it('publishes the thread topic even when the thread has no subscribers (its listeners need not be members)', () => {
    const [first] = batches(plan({ pages: [{ items: [] }] }));
    expect(first?.recipients).toEqual([
      {
        uid: BOB,
        online: false,
        steps: [{ channel: 'mqtt', deviceId: THREAD_TOPIC, at: iso(T0), reason: 'topic' }],
      },
    ]);
  });

  it('plans no thread topic for messages to users, only their user topics', () => {
    const [first] = batches(plan({ data: publish({ kind: 'users', uids: [BOB, 'carol'] }) }));
    expect((first === undefined ? [] : mqttSteps(first)).map((s) => s.uid)).toEqual(['carol', 'dave']);
  });

  it('plans nothing on MQTT when no broker is configured', () => {
    const written = batches(plan({ config: triageConfig({ available: ['websocket', 'fcm', 'email'] }) }));
    expect(written.flatMap(mqttSteps)).toEqual([]);
  });

  it('leaves out a recipient who opted out (at all, or for this thread), and every topic of a thread that excludes MQTT', () => {
    const pages = [
      {
        items: [
          person('carol', { channels: ['~mqtt'] }),
          person('dave', { threadChannels: ['~mqtt'] }),
          person('erin', { channels: ['~mqtt'], threadChannels: ['mqtt'] }),
        ],
      },
    ];
    expect(
      batches(plan({ pages }))
        .flatMap(mqttSteps)
        .map((s) => s.uid),
    ).toEqual([BOB, 'erin']);
    const closed = { mid: MID, urgency: 3 as const, due: T0, thread: { channels: ['~mqtt'], fallback: [] } };
    expect(batches(plan({ pages, message: closed })).flatMap(mqttSteps)).toEqual([]);
    const pushOnly = { ...closed, thread: { channels: ['push'], fallback: [] } };
    expect(batches(plan({ message: pushOnly })).flatMap(mqttSteps)).toEqual([]);
  });

  it('plans no topic for a message that expired or was cancelled before triage', () => {
    expect(batches(plan({ now: T0 + 61 * MINUTE })).flatMap(mqttSteps)).toEqual([]);
    expect(batches(plan({ status: 'cancelled' })).flatMap(mqttSteps)).toEqual([]);
  });

  it('gives the thread topic a unit of its own, apart from every recipient', () => {
    const [first] = batches(plan());
    if (first === undefined) throw new Error('batch 0');
    const event: Triaged = { type: 'MessageTriaged', data: first };
    const keys = unitKeysOf(event).filter((k) => k.includes('/mqtt'));
    expect(keys).toEqual([`${MID}/${BOB}/mqtt/${THREAD_TOPIC}`, `${MID}/carol/mqtt`, `${MID}/dave/mqtt`]);
    const at = { position: 1, stream: `triage-${MID}`, revision: 0, eventId: 'e', correlationId: 'c' };
    const units = evolveUnits(event, at, new Map());
    expect(units.filter((u) => u.channel === 'mqtt').map((u) => [u.uid, u.deviceId, u.at])).toEqual([
      [BOB, THREAD_TOPIC, T0],
      ['carol', null, T0],
      ['dave', null, T0],
    ]);
  });
});
