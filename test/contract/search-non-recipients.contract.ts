import { expect, it } from 'vitest';
import { searchHandler } from '../../projections/search/handler.js';
import { zeroChannels, zeroCounts } from '../../schema/search-documents.js';
import type { ChannelCounts } from '../../schema/search-documents.js';
import type { DomainEvent, ReceiptStatus } from '../../schema/events.js';
import type { MessageId, UserId } from '../../schema/ids.js';
import { VARIANT_STAGES } from '../../schema/variant-funnel.js';
import { T0, iso, meta, midsFrom, streamOf, to } from '../unit/projections/fixtures.js';
import type { FunnelSubject } from './search-funnel.contract.js';
import type { Followed } from '../../ports/follower.js';

// Any user may acknowledge any mid (the inbox decider records it in their own inbox), so the
// search projection must count a receipt only from a user the message addressed: else anyone
// inflates a message's funnel, delivery counts and deliveries, and its A/B variants' figures, by
// acking mids they were never sent. A live receipt can come before the triage that addresses its
// user, and then counts once the triage comes. Every engine, whatever the batches.

const H = 3_600_000;
const BASE = 12 * 24 * H;
const at = (ms: number): string => iso(T0 + BASE + ms);
const mid = midsFrom(T0 + BASE);
const u = (s: string) => s as UserId;
const m = (s: string) => s as MessageId;
const opts = {
  variants: [
    { name: 'a', msg: 'Hello A', weight: 50 },
    { name: 'b', msg: 'Hello B', weight: 50 },
  ],
};

const ack = (uid: string, id: string, status: ReceiptStatus, channel: string): DomainEvent => ({
  type: 'MessagesAcknowledged',
  data: { uid: u(uid), mids: [m(id)], status, channel },
});
const triaged = (id: string, push: readonly string[], live: readonly string[]): DomainEvent => ({
  type: 'MessageTriaged',
  data: {
    mid: m(id),
    batch: 0,
    due: at(0),
    expiresAt: at(24 * H),
    urgency: 3,
    recipients: push.map((uid) => ({
      uid: u(uid),
      online: false,
      steps: [{ channel: 'fcm' as const, at: at(0), reason: 'offline' as const }],
    })),
    ...(live.length === 0 ? {} : { live: live.map(u), liveAt: at(0) }),
  },
});

/**
 * `id`: to r1 (push) and r2 (live), with A/B variants; r1 and r2 acknowledge before and after the
 * triage. `dm`: ann's direct message to bob. With `others`, mallory, eve and carol acknowledge
 * both (never addressed), before and after the triage, over the websocket, a push channel and the API.
 */
const story = (id: string, dm: string, others: boolean): Followed[] => {
  const extra = (...es: DomainEvent[]): DomainEvent[] => (others ? es : []);
  // Each event at its own time, with or without the others' (so the delivery times compare).
  const timed = (t: number, ...es: DomainEvent[]): [DomainEvent, number][] => es.map((e, i) => [e, t + i * 1_000]);
  return [
    ...timed(
      0,
      {
        type: 'MessagePublished',
        data: { mid: m(id), from: u('ann'), audience: to.users('r1', 'r2'), msg: 'Hello', opts, urgency: 3, at: at(0) },
      },
      {
        type: 'MessagePublished',
        data: { mid: m(dm), from: u('ann'), audience: to.user('bob'), msg: 'psst', opts: {}, urgency: 3, at: at(0) },
      },
    ),
    ...timed(
      10_000,
      ...extra(
        ack('mallory', id, 'clicked', 'websocket'),
        ack('eve', id, 'read', 'fcm'),
        ack('carol', dm, 'clicked', 'websocket'),
      ),
    ),
    ...timed(20_000, ack('r2', id, 'read', 'websocket'), ack('r1', id, 'delivered', 'fcm')),
    ...timed(30_000, triaged(id, ['r1'], ['r2']), triaged(dm, ['bob'], [])),
    ...timed(
      40_000,
      ...extra(
        ack('mallory', id, 'read', 'api'),
        ack('eve', id, 'seen', 'email'),
        ack('carol', dm, 'read', 'api'),
        ack('carol', dm, 'delivered', 'fcm'),
      ),
    ),
    ...timed(50_000, ack('r1', id, 'seen', 'fcm')),
  ].map(([event, ms], i) => ({ event, position: i + 1, revision: 0, stream: streamOf(event), metadata: meta(at(ms)) }));
};

const channels = (c: Partial<ChannelCounts>): ChannelCounts => ({ ...zeroChannels(), ...c });

export const searchNonRecipientCases = (subject: () => FunnelSubject): void => {
  it("counts receipts only from addressed users: others' leave the funnel, counts, deliveries and variants as they were; a recipient's before its triage counts", async () => {
    const { store, index, runner } = subject();
    // Through the follower (batches of its page size), then by handlers in one batch and in
    // batches of one event, each with and without the others' receipts.
    const ids = Array.from({ length: 12 }, () => mid(1_000));
    const pair = (i: number): [string, string] => [ids[2 * i] ?? '', ids[2 * i + 1] ?? ''];
    let position = 0;
    for (const f of [...story(...pair(0), true), ...story(...pair(1), false)]) {
      const r = await store.append(f.stream, [{ ...f.event, metadata: f.metadata }], 'any');
      if (r.kind !== 'appended') throw new Error('append refused');
      position = r.position;
    }
    await runner.waitFor(position, 20_000);
    await searchHandler(index).handle(story(...pair(2), true));
    await searchHandler(index).handle(story(...pair(3), false));
    for (const [i, others] of [
      [4, true],
      [5, false],
    ] as const) {
      const one = searchHandler(index, 1);
      for (const f of story(...pair(i), others)) await one.handle([f]);
    }
    await index.refresh();

    const docs = await index.messages(ids);
    const deliveries = (await index.documents('deliveries', { limit: 1_000 })).filter((d) => ids.includes(d.mid));
    for (const i of [0, 1, 2, 3, 4, 5]) {
      const [id, dm] = pair(i);
      expect(docs.get(id)?.funnel).toEqual({
        addressed: 2,
        triaged: 2,
        attempted: channels({ websocket: 1, fcm: 1 }),
        sent: channels({ websocket: 1, fcm: 1 }),
        sentAny: 2,
        delivered: 2,
        seen: 2,
        read: 1,
        clicked: 0,
      });
      expect(docs.get(id)?.counts).toEqual({ ...zeroCounts(), delivered: 1, seen: 1, read: 1 });
      expect(docs.get(id)?.channels).toEqual(['websocket', 'fcm']);
      const variants = await index.variantFunnel(id);
      expect(Object.fromEntries(VARIANT_STAGES.map((s) => [s, variants.reduce((n, v) => n + v[s], 0)]))).toEqual({
        addressed: 2,
        sent: 2,
        delivered: 2,
        seen: 2,
        read: 1,
        clicked: 0,
      });
      // Bob's direct message: carol's receipts count nowhere.
      expect(docs.get(dm)?.funnel).toMatchObject({ addressed: 1, triaged: 1, sentAny: 0, delivered: 0, read: 0 });
      expect(docs.get(dm)?.counts).toEqual(zeroCounts());
      expect(docs.get(dm)?.channels).toEqual([]);
      expect(
        deliveries
          .filter((d) => d.mid === id || d.mid === dm)
          .map((d) => `${d.uid}:${d.channel}:${d.status}`)
          .sort(),
      ).toEqual(['r1:fcm:seen', 'r2:websocket:read']);
    }
    // With and without the others' receipts, every document alike (the delivery times too).
    for (const [a, b] of [
      [0, 1],
      [2, 3],
      [4, 5],
    ] as const) {
      const [x, y] = [pair(a)[0], pair(b)[0]];
      const strip = (d: (typeof deliveries)[number]) => ({ ...d, id: d.id.replace(d.mid, ''), mid: '' });
      expect(deliveries.filter((d) => d.mid === x).map(strip)).toEqual(
        deliveries.filter((d) => d.mid === y).map(strip),
      );
    }
    // The analytics API's funnel of bob's message: what its sender sees.
    expect(await index.funnel({ mid: pair(0)[1] })).toMatchObject({
      messages: 1,
      addressed: 1,
      delivered: 0,
      read: 0,
      clicked: 0,
    });
  });
};
