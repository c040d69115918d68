import { expect, it } from 'vitest';
import { assignVariant } from '../../domain/variants.js';
import type { Followed } from '../../ports/follower.js';
import type { SearchIndex } from '../../ports/search.js';
import { LIVE_SETS } from '../../projections/search/live.js';
import { searchHandler } from '../../projections/search/handler.js';
import { zeroChannels } from '../../schema/search-documents.js';
import type { ChannelCounts } from '../../schema/search-documents.js';
import type { DomainEvent, ReceiptStatus } from '../../schema/events.js';
import type { MessageId, UserId } from '../../schema/ids.js';
import type { JsonObject } from '../../schema/json.js';
import { T0, iso, meta, midsFrom, streamOf, to } from '../unit/projections/fixtures.js';
import type { FunnelSubject } from './search-funnel.contract.js';

// Recipients listed live (MessageTriaged `live`) are stored as lists with one count per set, not
// as a member per uid and set (projections/search/live.ts). These cases hold every engine to the
// same distinct counts when those uids come back through receipts (before and after triage), a
// second list, a later full plan, dispatch on another channel, A/B variants and an erasure; with
// the events through the follower and all in one batch; and after a replay with nothing cached.

const H = 3_600_000;
const BASE = 11 * 24 * H;
export const at = (ms: number): string => iso(T0 + BASE + ms);
export const mid = midsFrom(T0 + BASE);
const u = (s: string) => s as UserId;
const m = (s: string) => s as MessageId;
const channels = (c: Partial<ChannelCounts>): ChannelCounts => ({ ...zeroChannels(), ...c });

export const published = (id: string, opts: JsonObject = {}): DomainEvent => ({
  type: 'MessagePublished',
  data: { mid: m(id), from: u('ann'), audience: to.thread('tlive'), msg: 'live', opts, urgency: 3, at: at(0) },
});
type Ch = 'websocket' | 'fcm' | 'email';
export const triaged = (id: string, batch: number, live: string[], full: [string, Ch[]][] = []): DomainEvent => ({
  type: 'MessageTriaged',
  data: {
    mid: m(id),
    batch,
    due: at(0),
    expiresAt: at(24 * H),
    urgency: 3,
    recipients: full.map(([uid, chs]) => ({
      uid: u(uid),
      online: chs.includes('websocket'),
      steps: chs.map((channel) => ({ channel, at: at(0), reason: 'offline' as const })),
    })),
    ...(live.length === 0 ? {} : { live: live.map(u), liveAt: at(0) }),
  },
});
export const ack = (uid: string, id: string, status: ReceiptStatus, channel: string): DomainEvent => ({
  type: 'MessagesAcknowledged',
  data: { uid: u(uid), mids: [m(id)], status, channel },
});
const dispatched = (
  type: 'DeliveryAttempted' | 'DeliverySucceeded',
  id: string,
  uid: string,
  channel: 'fcm' | 'email',
) =>
  ({
    type,
    data: {
      key: `${id}/${uid}/${channel}`,
      uid: u(uid),
      channel,
      attempt: 1,
      mid: m(id),
      ...(type === 'DeliveryAttempted' ? { node: 'n1', run: 'r1', leaseUntil: at(H) } : {}),
    },
  }) as DomainEvent;

// l1 acked over the websocket before triage listed it; l2 listed twice, then read it; l3 listed,
// then planned in full (websocket and fcm, an escalation) and sent on fcm; l4 planned email only
// and sent; l5 listed in the second list, then clicked through the email (a later digest).
const story = (id: string): DomainEvent[] => [
  published(id),
  ack('l1', id, 'delivered', 'websocket'),
  triaged(id, 0, ['l1', 'l2', 'l3'], [['l4', ['email']]]),
  triaged(id, 1, ['l2', 'l5']),
  triaged(id, 2, [], [['l3', ['websocket', 'fcm']]]),
  ack('l2', id, 'read', 'websocket'),
  dispatched('DeliveryAttempted', id, 'l3', 'fcm'),
  dispatched('DeliverySucceeded', id, 'l3', 'fcm'),
  dispatched('DeliveryAttempted', id, 'l4', 'email'),
  dispatched('DeliverySucceeded', id, 'l4', 'email'),
  ack('l5', id, 'clicked', 'email'),
  ack('l1', id, 'delivered', 'websocket'),
];
const expected = {
  addressed: 5,
  triaged: 5,
  attempted: channels({ websocket: 4, fcm: 1, email: 2 }),
  sent: channels({ websocket: 4, fcm: 1, email: 2 }),
  sentAny: 5,
  delivered: 3,
  seen: 2,
  read: 2,
  clicked: 1,
};

export const batchOf = (events: readonly DomainEvent[], from: number): Followed[] =>
  events.map((event, i) => ({
    event,
    position: from + i,
    revision: 0,
    stream: streamOf(event),
    metadata: meta(at(i * 1000)),
  }));

export const searchLiveCases = (subject: () => FunnelSubject): void => {
  const follow = async (events: readonly DomainEvent[]): Promise<SearchIndex> => {
    const { store, index, runner } = subject();
    let position = 0;
    for (const [i, e] of events.entries()) {
      const r = await store.append(streamOf(e), [{ ...e, metadata: meta(at(i * 1000)) }], 'any');
      if (r.kind !== 'appended') throw new Error('append refused');
      position = r.position;
    }
    await runner.waitFor(position, 20_000);
    return index;
  };

  it('counts live recipients once per stage whatever else names them: receipts before and after, a second list, a full plan, another channel', async () => {
    const [viaFollower, oneBatch, x, y] = [mid(1_000), mid(1_000), mid(1_000), mid(1_000)] as [
      string,
      string,
      string,
      string,
    ];
    const index = await follow(story(viaFollower));
    await searchHandler(index).handle(batchOf(story(oneBatch), 1_000_000));
    // Two messages interleaved, an event per batch, by a handler that keeps almost nothing in
    // memory: each batch reads the other message's lists and members from the store again.
    const forgetful = searchHandler(index, 1);
    const [sx, sy] = [batchOf(story(x), 2_000_000), batchOf(story(y), 3_000_000)];
    for (const [i, f] of sx.entries()) {
      await forgetful.handle([f]);
      const g = sy[i];
      if (g !== undefined) await forgetful.handle([g]);
    }
    await index.refresh();
    const docs = await index.messages([viaFollower, oneBatch, x, y]);
    for (const id of [viaFollower, oneBatch, x, y]) {
      expect(docs.get(id)?.funnel).toEqual(expected);
      expect(docs.get(id)?.channels).toEqual(['websocket', 'fcm', 'email']);
      // The uids listed live have no member of their own in the sets a list counts them in: only
      // l4's full plan has one-recipient members. l1's receipt before it was listed is held until
      // the triage addresses l1 (a receipt counts only from an addressed user), then counted as if
      // it came after: the list stands in for it (it was a member of the websocket sets before).
      const members = await index.setMembers(id, LIVE_SETS);
      expect(members.map((x) => `${x.set} ${x.uid}`).sort()).toEqual(['f:addressed l4', 'f:sent l4', 'f:triaged l4']);
      expect([...((await index.liveUids([id])).get(id) ?? [])].sort()).toEqual(['l1', 'l2', 'l3', 'l5']);
    }
    // A replay by a handler that remembers nothing (a restart, a checkpoint moved back) reads the
    // lists and members from the store and counts nobody again.
    await searchHandler(index).handle(batchOf(story(oneBatch), 1_000_000));
    await index.refresh();
    expect((await index.messages([oneBatch])).get(oneBatch)?.funnel).toEqual(expected);
    expect(await index.funnel({ tid: 'tlive' })).toMatchObject({ messages: 4, addressed: 20, sentAny: 20, read: 8 });
  });

  it('counts live recipients in their A/B variant, with receipts before and after the list', async () => {
    const id = mid(1_000);
    const variants = [
      { name: 'a', msg: 'A', weight: 50 },
      { name: 'b', msg: 'B', weight: 50 },
    ];
    const uids = Array.from({ length: 40 }, (_, i) => `w${i}`);
    const index = await follow([
      published(id, { variants }),
      ack('w0', id, 'delivered', 'websocket'),
      triaged(id, 0, uids.slice(0, 25), [['wx', ['email']]]),
      triaged(id, 1, uids.slice(20)),
      ack('w1', id, 'read', 'websocket'),
      ack('w39', id, 'seen', 'websocket'),
    ]);
    // The reference: each uid once, in the variant domain/variants.ts gives it.
    const nameOf = (uid: string): string => assignVariant(variants, id, uid).name;
    const want = ['a', 'b'].map((variant) => {
      const mine = (xs: string[]) => xs.filter((x) => nameOf(x) === variant).length;
      return {
        variant,
        addressed: mine([...uids, 'wx']),
        sent: mine(uids),
        delivered: mine(['w0', 'w1', 'w39']),
        seen: mine(['w1', 'w39']),
        read: mine(['w1']),
        clicked: 0,
      };
    });
    expect(await index.variantFunnel(id)).toEqual(want.filter((w) => w.addressed > 0));
    expect((await index.messages([id])).get(id)?.funnel).toMatchObject({ addressed: 41, triaged: 41, sentAny: 40 });
  });

  it('keeps counting an erased live recipient once: the erasure blanks personal data, not ids (docs/gdpr.md)', async () => {
    const id = mid(1_000);
    const index = await follow([
      published(id),
      triaged(id, 0, ['e1', 'e2']),
      { type: 'UserErased', data: { uid: u('e1') } },
      triaged(id, 1, ['e1']),
      ack('e1', id, 'read', 'websocket'),
    ]);
    expect((await index.messages([id])).get(id)?.funnel).toMatchObject({
      addressed: 2,
      sentAny: 2,
      attempted: channels({ websocket: 2 }),
      read: 1,
    });
  });

  it('reads a list named by reference (liveOf) as the list written out: live, from the log after a restart, and in a rebuild', async () => {
    const { store, index, runner } = subject();
    const [root, byRef, written, cold, lost] = [mid(1_000), mid(1_000), mid(1_000), mid(1_000), mid(1_000)] as [
      string,
      string,
      string,
      string,
      string,
    ];
    const named = (id: string): DomainEvent => {
      const e = triaged(id, 0, []);
      if (e.type !== 'MessageTriaged') throw new Error('not a triage event');
      return { ...e, data: { ...e.data, liveOf: { mid: m(root), batch: 0, count: 3 }, liveAt: at(0) } };
    };
    // A receipt before the list and after it, as in the stories above.
    const told = (id: string, list: DomainEvent): DomainEvent[] => [
      published(id),
      ack('l1', id, 'delivered', 'websocket'),
      list,
      ack('l2', id, 'read', 'websocket'),
      ack('l1', id, 'seen', 'websocket'),
    ];
    let position = 0;
    const events = [
      published(root),
      triaged(root, 0, ['l1', 'l2', 'l3']),
      ...told(byRef, named(byRef)),
      ...told(written, triaged(written, 0, ['l1', 'l2', 'l3'])),
    ];
    for (const [i, e] of events.entries()) {
      const r = await store.append(streamOf(e), [{ ...e, metadata: meta(at(i * 1000)) }], 'any');
      if (r.kind !== 'appended') throw new Error('append refused');
      position = r.position;
    }
    await runner.waitFor(position, 20_000);
    // A handler that never met the root (a restart past it) reads it from the log...
    await searchHandler(index, undefined, store).handle(batchOf(told(cold, named(cold)), 5_000_000));
    // ...and one that cannot read it refuses the batch rather than count it wrong.
    await expect(searchHandler(index).handle(batchOf(told(lost, named(lost)), 6_000_000))).rejects.toThrow(
      /not in the log/,
    );
    await index.refresh();
    const read = async (): Promise<unknown[]> => {
      const docs = await index.messages([byRef, written, cold]);
      const lists = await index.liveUids([byRef, written, cold]);
      const members = async (id: string) =>
        (await index.setMembers(id, LIVE_SETS)).map((x) => `${x.set} ${x.uid}`).sort();
      return Promise.all(
        [byRef, written, cold].map(async (id) => ({
          funnel: docs.get(id)?.funnel,
          live: [...(lists.get(id) ?? [])].sort(),
          members: await members(id),
        })),
      );
    };
    const [a, b, c] = await read();
    expect(a).toMatchObject({
      funnel: { addressed: 3, sentAny: 3, delivered: 2, seen: 2, read: 1 },
      live: ['l1', 'l2', 'l3'],
    });
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    // A rebuild meets the root before the reference, as the log has them: the same read model.
    await runner.rebuild();
    await index.refresh();
    expect((await read()).slice(0, 2)).toEqual([a, a]);
  });
};
