import { expect, it } from 'vitest';
import type { EventStore } from '../../ports/eventstore.js';
import type { SearchIndex } from '../../ports/search.js';
import type { SearchProjectionRunner } from '../../projections/search/open.js';
import { zeroChannels, zeroFunnel } from '../../schema/search-documents.js';
import type { ChannelCounts } from '../../schema/search-documents.js';
import type { DomainEvent, ReceiptStatus } from '../../schema/events.js';
import type { MessageId, UserId } from '../../schema/ids.js';
import type { FunnelTotals } from '../../schema/search-query.js';
import { T0, iso, meta, midsFrom, streamOf, to } from '../unit/projections/fixtures.js';

// Funnel and channel cases of the search contract: triage plans, dispatch claims and
// successes (one of them a digest's) and receipts on top of the main suite's scenario, in
// thread `tf`, so every expectation below is the same literal answer from every engine.

export interface FunnelSubject {
  readonly store: EventStore;
  readonly index: SearchIndex;
  readonly runner: SearchProjectionRunner;
}

const S = 1_000;
const H = 3_600_000;
const BASE = 5 * 24 * H;
const at = (ms: number): string => iso(T0 + BASE + ms);
const mid = midsFrom(T0 + BASE);
const [mA, mB] = [mid(S), mid(S)] as [string, string];
const u = (s: string) => s as UserId;
const m = (s: string) => s as MessageId;

type Step = { channel: 'websocket' | 'fcm' | 'email' | 'sms'; at: string; reason: 'live-session' | 'offline' };
const plan = (uid: string, online: boolean, channels: Step['channel'][]) => ({
  uid: u(uid),
  online,
  steps: channels.map((channel): Step => ({ channel, at: at(0), reason: online ? 'live-session' : 'offline' })),
});
const triaged = (id: string, batch: number, recipients: ReturnType<typeof plan>[]): DomainEvent => ({
  type: 'MessageTriaged',
  data: { mid: m(id), batch, due: at(0), expiresAt: at(24 * H), urgency: 3, recipients },
});
type Dispatched = 'DeliveryAttempted' | 'DeliverySucceeded';
const dispatch = (type: Dispatched, id: string, uid: string, channel: 'fcm' | 'email' | 'sms', attempt = 1) =>
  ({
    type,
    data: {
      key: `${id}/${uid}/${channel}`,
      uid: u(uid),
      channel,
      attempt,
      mid: m(id),
      ...(type === 'DeliveryAttempted' ? { node: 'n1', run: 'r1', leaseUntil: at(H) } : {}),
    },
  }) as DomainEvent;
const failed = (
  type: 'DeliveryFailed' | 'DeliveryGivenUp',
  id: string,
  uid: string,
  channel: 'fcm' | 'email' | 'sms',
  reason: string,
  outcome: 'retry' | 'failed' | 'gone' = 'failed',
): DomainEvent =>
  ({
    type,
    data: {
      key: `${id}/${uid}/${channel}`,
      uid: u(uid),
      channel,
      mid: m(id),
      reason,
      ...(type === 'DeliveryFailed' ? { attempt: 1, outcome } : { attempts: 1 }),
    },
  }) as DomainEvent;
const ack = (uid: string, id: string, status: ReceiptStatus, channel: string): DomainEvent => ({
  type: 'MessagesAcknowledged',
  data: { uid: u(uid), mids: [m(id)], status, channel },
});
const published = (id: string, ms: number, tid = 'tf'): DomainEvent => ({
  type: 'MessagePublished',
  data: { mid: m(id), from: u('ann'), audience: to.thread(tid), msg: 'funnel', opts: {}, urgency: 3, at: at(ms) },
});

// u1 online (websocket + fcm), u2 offline (email, failed once), u3 opted out of everything,
// u4 in a second batch (sms attempted, never sent). mB: u1's email in a digest (`mids`).
const events: readonly (readonly [DomainEvent, number])[] = [
  [published(mA, 0), 0],
  [triaged(mA, 0, [plan('u1', true, ['websocket', 'fcm']), plan('u2', false, ['email']), plan('u3', false, [])]), S],
  [triaged(mA, 1, [plan('u4', false, ['sms'])]), S],
  [dispatch('DeliveryAttempted', mA, 'u1', 'fcm'), 2 * S],
  [dispatch('DeliverySucceeded', mA, 'u1', 'fcm'), 3 * S],
  [dispatch('DeliveryAttempted', mA, 'u2', 'email'), 2 * S],
  [dispatch('DeliveryAttempted', mA, 'u2', 'email', 2), 4 * S],
  [dispatch('DeliverySucceeded', mA, 'u2', 'email', 2), 5 * S],
  [dispatch('DeliveryAttempted', mA, 'u4', 'sms'), 5 * S],
  [ack('u1', mA, 'delivered', 'websocket'), 2 * S],
  [ack('u1', mA, 'read', 'websocket'), 10 * S],
  [ack('u1', mA, 'read', 'websocket'), 20 * S],
  [ack('u2', mA, 'clicked', 'email'), 100 * S],
  [failed('DeliveryFailed', mA, 'u2', 'email', 'smtp 451', 'retry'), 3 * S],
  [failed('DeliveryFailed', mA, 'u4', 'sms', 'carrier rejected', 'failed'), 6 * S],
  [failed('DeliveryGivenUp', mA, 'u4', 'sms', 'carrier rejected'), 7 * S],
  [published(mB, H), H],
  [failed('DeliveryFailed', mB, 'u1', 'fcm', 'Unregistered', 'gone'), H + S],
  [triaged(mB, 0, [plan('u1', false, ['email'])]), H],
  [
    {
      type: 'DeliveryAttempted',
      data: {
        key: 'd',
        uid: u('u1'),
        channel: 'email',
        attempt: 1,
        node: 'n',
        run: 'r',
        leaseUntil: at(2 * H),
        mids: [m(mB)],
        digest: at(H),
      },
    },
    2 * H,
  ],
  [
    {
      type: 'DeliverySucceeded',
      data: { key: 'd', uid: u('u1'), channel: 'email', attempt: 1, mids: [m(mB)], digest: at(H) },
    },
    2 * H,
  ],
];

const channels = (c: Partial<ChannelCounts>): ChannelCounts => ({ ...zeroChannels(), ...c });

export const searchFunnelCases = (subject: () => FunnelSubject): void => {
  const load = async (): Promise<SearchIndex> => {
    const { store, index, runner } = subject();
    let position = 0;
    for (const [e, ms] of events) {
      const r = await store.append(streamOf(e), [{ ...e, metadata: meta(at(ms)) }], 'any');
      if (r.kind !== 'appended') throw new Error('append refused');
      position = r.position;
    }
    await runner.waitFor(position, 20_000);
    return index;
  };

  it('keeps each message funnel in distinct recipients: addressed, triaged, attempted/sent per channel, receipt stages at least', async () => {
    const index = await load();
    const docs = await index.messages([mA, mB]);
    expect(docs.get(mA)?.funnel).toEqual({
      addressed: 4,
      triaged: 3,
      attempted: channels({ websocket: 1, fcm: 1, email: 1, sms: 1 }),
      sent: channels({ websocket: 1, fcm: 1, email: 1 }),
      sentAny: 2,
      delivered: 2,
      seen: 2,
      read: 2,
      clicked: 1,
    });
    expect(docs.get(mA)?.channels).toEqual(['websocket', 'fcm', 'email', 'sms']);
    expect(docs.get(mB)?.channels).toEqual(['email']);
  });

  it('counts recipients who got a message live only (MessageTriaged `live`, by uid) as addressed, triaged and sent on the websocket', async () => {
    const index = await load();
    const mL = mid(S);
    const live = (batch: number, recipients: ReturnType<typeof plan>[], uids: string[]): DomainEvent => ({
      type: 'MessageTriaged',
      data: {
        mid: m(mL),
        batch,
        due: at(0),
        expiresAt: at(24 * H),
        urgency: 3,
        recipients,
        live: uids.map(u),
        liveAt: at(0),
      },
    });
    const more: readonly (readonly [DomainEvent, number])[] = [
      [published(mL, 3 * H, 'tl'), 3 * H],
      // u5 has a full plan (email, never sent); u6 and u7 got it live only; u6 again in a second
      // batch (a replayed or overlapping batch counts nobody twice); u6 read it on the websocket.
      [live(0, [plan('u5', false, ['email'])], ['u6', 'u7']), 3 * H],
      [live(1, [], ['u6']), 3 * H],
      [ack('u6', mL, 'read', 'websocket'), 3 * H + 10 * S],
    ];
    let position = 0;
    for (const [e, ms] of more) {
      const r = await subject().store.append(streamOf(e), [{ ...e, metadata: meta(at(ms)) }], 'any');
      if (r.kind !== 'appended') throw new Error('append refused');
      position = r.position;
    }
    await subject().runner.waitFor(position, 20_000);
    const expected = {
      addressed: 3,
      triaged: 3,
      attempted: channels({ websocket: 2 }),
      sent: channels({ websocket: 2 }),
      sentAny: 2,
      delivered: 1,
      seen: 1,
      read: 1,
      clicked: 0,
    };
    expect((await index.messages([mL])).get(mL)?.funnel).toEqual(expected);
    expect((await index.messages([mL])).get(mL)?.channels).toEqual(['websocket']);
    expect(await index.funnel({ tid: 'tl' })).toEqual({ messages: 1, ...expected });
    expect((await index.searchMessages({ limit: 5, filter: { channel: ['websocket'], tid: 'tl' } })).total).toBe(1);
  });

  it('filters messages by the channels a delivery was attempted or sent on', async () => {
    const index = await load();
    const mids = async (channel: string[], tid?: string) =>
      (await index.searchMessages({ limit: 50, filter: { channel, ...(tid === undefined ? {} : { tid }) } })).hits.map(
        (h) => h.mid,
      );
    expect(await mids(['email'])).toEqual([mB, mA]);
    expect(await mids(['sms'])).toEqual([mA]);
    expect((await mids(['fcm'])).slice(0, 1)).toEqual([mA]);
    expect(await mids(['apns', 'mqtt'])).toEqual([]);
    expect(await mids([])).toEqual([]);
    expect(await mids(['websocket', 'email'], 'tf')).toEqual([mB, mA]);
    expect((await index.searchMessages({ limit: 1, filter: { channel: ['email', 'sms'] } })).total).toBe(2);
  });

  it('sums funnels over a thread, one message, a time range; nothing matched is all zeros', async () => {
    const index = await load();
    const expected: FunnelTotals = {
      messages: 2,
      addressed: 5,
      triaged: 4,
      attempted: channels({ websocket: 1, fcm: 1, email: 2, sms: 1 }),
      sent: channels({ websocket: 1, fcm: 1, email: 2 }),
      sentAny: 3,
      delivered: 2,
      seen: 2,
      read: 2,
      clicked: 1,
    };
    expect(await index.funnel({ tid: 'tf' })).toEqual(expected);
    expect(await index.funnel({ at: { gte: at(0), lt: at(2 * H) } })).toEqual(expected);
    expect((await index.funnel({ tid: 'tf', at: { gte: at(H) } })).addressed).toBe(1);
    expect(await index.funnel({ mid: mB })).toMatchObject({ messages: 1, addressed: 1, sentAny: 1, delivered: 0 });
    expect(await index.funnel({ tid: 'nobody' })).toEqual({ messages: 0, ...zeroFunnel() });
  });

  it('buckets the time to read per read delivery (rounded up to two significant digits) for percentiles', async () => {
    const index = await load();
    const buckets = await index.terms({
      index: 'deliveries',
      field: 'read_ms',
      size: 1000,
      filter: { tid: 'tf', read: true },
    });
    expect(buckets).toEqual([
      { key: '10000', count: 1 },
      { key: '100000', count: 1 },
    ]);
    const range = { gte: at(0), lt: at(H) };
    expect(
      await index.terms({ index: 'deliveries', field: 'read_ms', size: 10, filter: { msgAt: range, mid: mA } }),
    ).toEqual(buckets);
  });

  it('keeps dispatch failures as delivery facts with their reason: top reasons per channel, revocations over time', async () => {
    const index = await load();
    const docs = await index.deliveries([`${mA}:u4:sms`, `${mA}:u2:email`, `${mB}:u1:fcm`]);
    expect(docs.get(`${mA}:u4:sms`)).toMatchObject({ status: 'given_up', reason: 'carrier rejected', attempts: 1 });
    expect(docs.get(`${mA}:u2:email`)).toMatchObject({ status: 'clicked', reason: 'smtp 451', at: at(3 * S) });
    expect(docs.get(`${mB}:u1:fcm`)).toMatchObject({ status: 'revoked', reason: 'Unregistered', at: at(H + S) });
    expect((await index.messages([mA])).get(mA)?.counts).toMatchObject({ retrying: 1, failed: 1, given_up: 1 });
    const range = { gte: at(0), lt: at(2 * H) };
    expect(
      await index.terms({
        index: 'deliveries',
        field: 'channel',
        size: 20,
        filter: { msgAt: range, status: ['retrying', 'failed', 'given_up', 'revoked'] },
        then: { field: 'reason', size: 5 },
      }),
    ).toEqual([
      { key: 'fcm', count: 1, buckets: [{ key: 'Unregistered', count: 1 }] },
      { key: 'sms', count: 1, buckets: [{ key: 'carrier rejected', count: 1 }] },
    ]);
    const revoked = await index.histogram({
      index: 'deliveries',
      interval: 'minute',
      filter: { at: range, status: ['revoked'] },
    });
    expect(revoked).toEqual([
      { key: new Date(Math.floor(Date.parse(at(H + S)) / 60_000) * 60_000).toISOString(), count: 1 },
    ]);
  });
};
