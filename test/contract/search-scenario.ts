// The search contract's scenario: six messages, their receipts and withdrawals on a fixed
// clock, and the documents every engine must hold after projecting them (literal answers).
import type { EventStore } from '../../ports/eventstore.js';
import { zeroChannels, zeroCounts, zeroFunnel } from '../../schema/search-documents.js';
import type { ChannelCounts, DeliveryDoc, Funnel, MessageDoc, StatusCounts } from '../../schema/search-documents.js';
import type { DocOf, SearchIndex, SearchIndexName } from '../../ports/search.js';
import type { DomainEvent, ReceiptStatus } from '../../schema/events.js';
import type { MessageId, UserId } from '../../schema/ids.js';
import type { Audience, Urgency } from '../../schema/message.js';
import { T0, iso, meta, midsFrom, streamOf, to } from '../unit/projections/fixtures.js';

export const S = 1_000;
export const M = 60 * S;
export const H = 60 * M;
export const D = 24 * H;
export const at = (ms: number): string => iso(T0 + ms);

export type Timed = readonly [DomainEvent, number];
export const published = (
  mid: string,
  audience: Audience,
  o: { at: number; from: string; msg: string; urgency: Urgency; subject?: string; scheduled?: number },
): Timed => [
  {
    type: 'MessagePublished',
    data: {
      mid: mid as MessageId,
      from: o.from as UserId,
      audience,
      msg: o.msg,
      opts: {},
      urgency: o.urgency,
      at: at(o.at),
      ...(o.subject === undefined ? {} : { subject: o.subject }),
      ...(o.scheduled === undefined ? {} : { scheduled: at(o.scheduled) }),
    },
  },
  o.at,
];
export const acked = (
  uid: string,
  mids: readonly string[],
  status: ReceiptStatus,
  when: number,
  channel?: string,
): Timed => [
  {
    type: 'MessagesAcknowledged',
    data: { uid: uid as UserId, mids: mids as MessageId[], status, ...(channel === undefined ? {} : { channel }) },
  },
  when,
];
/** A triage addressing `uids` (plans of no step: addressed only); a receipt counts only from an addressed user. */
export const triagedTo = (mid: string, uids: readonly string[], when: number, batch = 0): Timed => [
  {
    type: 'MessageTriaged',
    data: {
      mid: mid as MessageId,
      batch,
      due: at(when),
      expiresAt: at(when + D),
      urgency: 3,
      recipients: uids.map((uid) => ({ uid: uid as UserId, online: false, steps: [] })),
    },
  },
  when,
];
export const withdrawn = (type: 'MessageCancelled' | 'MessageRetracted', mid: string, when: number): Timed => [
  { type, data: { mid: mid as MessageId, by: 'admin' as UserId } },
  when,
];

// The scenario: six messages over three days, receipts with duplicates and two channels. Receipts
// count only from users a triage addressed: m3's triage comes after cid's first receipt (a live
// ack can overtake the triage), which then counts as if it came after.
export const mid = midsFrom(T0);
// Ids made in this order sort in this order (UUIDv7), so id-ordered dumps list m1..m6.
export const [m1, m2, m3, m4, m5, m6] = Array.from({ length: 6 }, () => mid(S)) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
export const scenario: readonly Timed[] = [
  published(m1, to.thread('t1'), { at: 10 * S, from: 'ann', msg: 'Hello world from the Lobby!', urgency: 4 }),
  triagedTo(m1, ['bob'], 20 * S),
  acked('bob', [m1], 'delivered', 30 * S, 'fcm'),
  published(m2, to.user('bob'), {
    at: 70 * S,
    from: 'ann',
    msg: 'Quarterly numbers are ready',
    subject: 'Report',
    urgency: 2,
  }),
  triagedTo(m2, ['bob'], 75 * S),
  acked('bob', [m1, m2], 'delivered', 80 * S),
  acked('bob', [m1], 'seen', 90 * S),
  acked('bob', [m1], 'read', 100 * S),
  acked('bob', [m1], 'seen', 200 * S),
  published(m3, to.users('bob', 'cid', 'bob'), { at: 2 * H, from: 'admin', msg: 'hello again, world', urgency: 3 }),
  acked('cid', [m3], 'delivered', 2 * H + 5 * S, 'webpush'),
  triagedTo(m3, ['bob', 'cid'], 2 * H + 5 * S + 500),
  acked('bob', [m3], 'delivered', 2 * H + 6 * S),
  acked('bob', [m3, m3], 'delivered', 2 * H + 7 * S),
  acked('cid', [m3], 'clicked', 2 * H + 60 * S, 'webpush'),
  published(m4, to.everyone(), { at: D + 5 * M, from: 'admin', msg: 'Maintenance tonight', urgency: 1 }),
  published(m5, to.thread('t1'), { at: D + 10 * M, from: 'bob', msg: 'Scheduled hello', urgency: 3, scheduled: 3 * D }),
  withdrawn('MessageCancelled', m5, D + 11 * M),
  published(m6, to.thread('t2'), { at: 2 * D, from: 'ann', msg: 'retract this world', urgency: 4 }),
  withdrawn('MessageRetracted', m6, 2 * D + M),
];

export const counts = (c: Partial<StatusCounts>): StatusCounts => ({ ...zeroCounts(), ...c });
export const perChannel = (c: Partial<ChannelCounts>): ChannelCounts => ({ ...zeroChannels(), ...c });
export const funnel = (
  f: Partial<Omit<Funnel, 'attempted' | 'sent'>> & {
    attempted?: Partial<ChannelCounts>;
    sent?: Partial<ChannelCounts>;
  },
): Funnel => ({
  ...zeroFunnel(),
  ...f,
  attempted: perChannel(f.attempted ?? {}),
  sent: perChannel(f.sent ?? {}),
});
export type Given = Omit<MessageDoc, 'mid' | 'counts' | 'scheduled' | 'funnel' | 'channels'> & Partial<MessageDoc>;
export const message = (m: string, d: Given): MessageDoc => ({
  mid: m,
  scheduled: null,
  counts: zeroCounts(),
  funnel: zeroFunnel(),
  channels: [],
  ...d,
});
export const expectedMessages: MessageDoc[] = [
  message(m1, {
    tid: 't1',
    from: 'ann',
    audience: 'thread',
    recipients: null,
    text: 'Hello world from the Lobby!',
    urgency: 4,
    at: at(10 * S),
    status: 'published',
    counts: counts({ delivered: 1, seen: 1, read: 1 }),
    // The fcm receipt proves a send on fcm; receipts over the API name no channel of the funnel.
    funnel: funnel({
      addressed: 1,
      delivered: 1,
      seen: 1,
      read: 1,
      attempted: { fcm: 1 },
      sent: { fcm: 1 },
      sentAny: 1,
    }),
    channels: ['fcm'],
  }),
  message(m2, {
    tid: null,
    from: 'ann',
    audience: 'user',
    recipients: 1,
    text: 'Quarterly numbers are ready\nReport',
    urgency: 2,
    at: at(70 * S),
    status: 'published',
    counts: counts({ delivered: 1 }),
    funnel: funnel({ addressed: 1, delivered: 1 }),
  }),
  message(m3, {
    tid: null,
    from: 'admin',
    audience: 'users',
    recipients: 2,
    text: 'hello again, world',
    urgency: 3,
    at: at(2 * H),
    status: 'published',
    counts: counts({ delivered: 2, clicked: 1 }),
    // A click counts as read and seen too (stages are "at least").
    funnel: funnel({
      addressed: 2,
      delivered: 2,
      seen: 1,
      read: 1,
      clicked: 1,
      attempted: { webpush: 1 },
      sent: { webpush: 1 },
      sentAny: 1,
    }),
    channels: ['webpush'],
  }),
  message(m4, {
    tid: null,
    from: 'admin',
    audience: 'everyone',
    recipients: null,
    text: 'Maintenance tonight',
    urgency: 1,
    at: at(D + 5 * M),
    status: 'published',
  }),
  message(m5, {
    tid: 't1',
    from: 'bob',
    audience: 'thread',
    recipients: null,
    text: 'Scheduled hello',
    urgency: 3,
    at: at(D + 10 * M),
    scheduled: at(3 * D),
    status: 'cancelled',
  }),
  message(m6, {
    tid: 't2',
    from: 'ann',
    audience: 'thread',
    recipients: null,
    text: 'retract this world',
    urgency: 4,
    at: at(2 * D),
    status: 'retracted',
  }),
];
export const times = (t: Partial<Record<string, number>>) => ({
  retrying: null,
  failed: null,
  given_up: null,
  revoked: null,
  delivered: null,
  seen: null,
  read: null,
  clicked: null,
  ...Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v === undefined ? null : at(v)])),
});
export const delivery = (
  m: string,
  uid: string,
  channel: string,
  status: DeliveryDoc['status'],
  first: number,
  latency: number,
  t: Partial<Record<string, number>>,
  message: { tid: string | null; at: number; readMs: number | null },
): DeliveryDoc => ({
  id: `${m}:${uid}:${channel}`,
  mid: m,
  uid,
  channel,
  status,
  at: at(first),
  latency_ms: latency,
  times: times(t),
  reason: null,
  attempts: null,
  tid: message.tid,
  msg_at: at(message.at),
  read_ms: message.readMs,
});
// Time to read is from the message's due time, rounded up to two significant digits (readMs).
export const onM1 = (readMs: number | null) => ({ tid: 't1', at: 10 * S, readMs });
export const expectedDeliveries: DeliveryDoc[] = [
  delivery(m1, 'bob', 'api', 'read', 80 * S, 70 * S, { delivered: 80 * S, seen: 90 * S, read: 100 * S }, onM1(90 * S)),
  delivery(m1, 'bob', 'fcm', 'delivered', 30 * S, 20 * S, { delivered: 30 * S }, onM1(null)),
  delivery(
    m2,
    'bob',
    'api',
    'delivered',
    80 * S,
    10 * S,
    { delivered: 80 * S },
    { tid: null, at: 70 * S, readMs: null },
  ),
  delivery(
    m3,
    'bob',
    'api',
    'delivered',
    2 * H + 6 * S,
    6 * S,
    { delivered: 2 * H + 6 * S },
    { tid: null, at: 2 * H, readMs: null },
  ),
  // Clicked without a read receipt: the click is its time to read.
  delivery(
    m3,
    'cid',
    'webpush',
    'clicked',
    2 * H + 5 * S,
    5 * S,
    { delivered: 2 * H + 5 * S, clicked: 2 * H + 60 * S },
    { tid: null, at: 2 * H, readMs: 60 * S },
  ),
].sort((a, b) => (a.id < b.id ? -1 : 1));

export const append = async (store: EventStore, events: readonly Timed[]): Promise<number> => {
  let position = 0;
  for (const [e, ms] of events) {
    const r = await store.append(streamOf(e), [{ ...e, metadata: meta(at(ms)) }], 'any');
    if (r.kind !== 'appended') throw new Error('append refused');
    position = r.position;
  }
  return position;
};

export const dump = async <I extends SearchIndexName>(index: SearchIndex, kind: I): Promise<DocOf<I>[]> => {
  const out: DocOf<I>[] = [];
  for (;;) {
    const last = out[out.length - 1];
    const after = last === undefined ? undefined : 'id' in last ? last.id : last.mid;
    const page = await index.documents(kind, { limit: 4, ...(after === undefined ? {} : { after }) });
    if (page.length === 0) return out;
    out.push(...page);
  }
};

export const waitUntil = async (
  cond: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
