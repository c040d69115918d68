import { expect, it } from 'vitest';
import { LIVE_SETS } from '../../projections/search/live.js';
import { searchHandler } from '../../projections/search/handler.js';
import type { DomainEvent } from '../../schema/events.js';
import type { MessageId, UserId } from '../../schema/ids.js';
import { meta, streamOf } from '../unit/projections/fixtures.js';
import type { FunnelSubject } from './search-funnel.contract.js';
import { ack, at, batchOf, mid, published, triaged } from './search-live.contract.js';

// Lists named by reference (MessageTriaged `liveOf`, issue 15) are stored as a reference to one
// root list (ports/search.ts putLiveRoot, putLiveRef), on every engine: `liveUids` reads them as the
// root's uids, and every message reads as its twin whose batches wrote the same lists out
// (funnel, live uids, members), live, replayed by a handler that remembers nothing, and rebuilt.

const u = (s: string) => s as UserId;
const named = (id: string, batch: number, root: string, rootBatch: number, count: number): DomainEvent => {
  const e = triaged(id, batch, []);
  if (e.type !== 'MessageTriaged') throw new Error('not a triage event');
  return { ...e, data: { ...e.data, liveOf: { mid: root as MessageId, batch: rootBatch, count }, liveAt: at(0) } };
};
const sorted = (xs: readonly string[] | undefined): string[] => [...(xs ?? [])].sort();

export const searchLiveRefCases = (subject: () => FunnelSubject): void => {
  it('stores a root once and lists naming it by reference: liveUids reads them as the root, replays change nothing', async () => {
    const { index } = subject();
    const [a, b, c] = [mid(1_000), mid(1_000), mid(1_000)] as [string, string, string];
    const root = `${a}/0`;
    const write = () =>
      index.write([
        { kind: 'putLive', mid: a, key: '#live/r1', uids: ['r1', 'r2', 'r3'] },
        { kind: 'putLiveRoot', root, uids: ['r1', 'r2', 'r3'] },
        { kind: 'putLiveRef', mid: b, key: '#live/r1', root },
        { kind: 'putLiveRef', mid: c, key: '#live/r1', root },
        { kind: 'putLive', mid: c, key: '#live/r9', uids: ['r9'] },
      ]);
    await write();
    await write();
    const read = async () => {
      const lists = await index.liveUids([a, b, c, 'none']);
      return { a: sorted(lists.get(a)), b: sorted(lists.get(b)), c: sorted(lists.get(c)), none: lists.has('none') };
    };
    expect(await read()).toEqual({
      a: ['r1', 'r2', 'r3'],
      b: ['r1', 'r2', 'r3'],
      c: ['r1', 'r2', 'r3', 'r9'],
      none: false,
    });
    // A reference whose root was never stored is refused rather than read as an empty list.
    await index.write([{ kind: 'putLiveRef', mid: 'lost', key: '#live/x', root: 'nowhere/0' }]);
    await expect(index.liveUids(['lost'])).rejects.toThrow(/nowhere\/0/);
  });

  it('counts messages whose lists are named by reference as their written-out twins: receipts before and after, a second page, an overlap, an erasure', async () => {
    const { store, index, runner } = subject();
    const [root, root2] = [mid(1_000), mid(1_000)] as [string, string];
    const rootList = ['l1', 'l2', 'l3', 'l4', 'l5'];
    const page2 = ['l6', 'l7'];
    // One story per shape, told by reference (`ref`) and with the lists written out (`list`).
    type Ref = { readonly batch: number; readonly root: string; readonly uids: readonly string[] };
    const shapes: ((id: string, list: (x: Ref) => DomainEvent) => DomainEvent[])[] = [
      // A receipt before the list (not counted again) and after it; a full plan of a listed uid.
      (id, list) => [
        published(id),
        ack('l1', id, 'delivered', 'websocket'),
        list({ batch: 0, root, uids: rootList }),
        triaged(id, 1, [], [['l3', ['websocket', 'fcm']]]),
        ack('l2', id, 'read', 'websocket'),
        ack('l5', id, 'clicked', 'email'),
      ],
      // Two pages, each named by reference: disjoint, so both stored by reference.
      (id, list) => [
        published(id),
        list({ batch: 0, root, uids: rootList }),
        list({ batch: 1, root: root2, uids: page2 }),
        ack('l7', id, 'seen', 'websocket'),
      ],
      // A list of its own first, overlapping the root: only the new uids count.
      (id, list) => [
        published(id),
        triaged(id, 0, ['l1', 'l9']),
        list({ batch: 1, root, uids: rootList }),
        ack('l9', id, 'read', 'websocket'),
      ],
      // An erasure of a listed user before the reference: counted once, as a written list counts it.
      (id, list) => [
        published(id),
        { type: 'UserErased', data: { uid: u('l3') } },
        list({ batch: 0, root, uids: rootList }),
        ack('l3', id, 'read', 'websocket'),
      ],
    ];
    const refs: string[] = [];
    const twins: string[] = [];
    const events: DomainEvent[] = [
      published(root),
      triaged(root, 0, rootList),
      published(root2),
      triaged(root2, 0, page2),
    ];
    for (const shape of shapes) {
      const [byRef, twin] = [mid(1_000), mid(1_000)] as [string, string];
      refs.push(byRef);
      twins.push(twin);
      events.push(
        ...shape(byRef, (x) => named(byRef, x.batch, x.root, 0, x.uids.length)),
        ...shape(twin, (x) => triaged(twin, x.batch, [...x.uids])),
      );
    }
    let position = 0;
    for (const [i, e] of events.entries()) {
      const r = await store.append(streamOf(e), [{ ...e, metadata: meta(at(i * 1000)) }], 'any');
      if (r.kind !== 'appended') throw new Error('append refused');
      position = r.position;
    }
    await runner.waitFor(position, 20_000);
    const read = async (ids: readonly string[]): Promise<unknown[]> => {
      await index.refresh();
      const docs = await index.messages(ids);
      const lists = await index.liveUids(ids);
      return Promise.all(
        ids.map(async (id) => ({
          funnel: docs.get(id)?.funnel,
          channels: docs.get(id)?.channels,
          live: sorted(lists.get(id)),
          members: (await index.setMembers(id, LIVE_SETS)).map((x) => `${x.set} ${x.uid}`).sort(),
        })),
      );
    };
    const want = await read(twins);
    expect(await read(refs)).toEqual(want);
    // The twins' own answers, literally, so that both cannot be wrong alike.
    expect(want[0]).toMatchObject({
      funnel: { addressed: 5, sentAny: 5, delivered: 3, seen: 2, read: 2, clicked: 1 },
      live: rootList,
      // l1's receipt before the triage is held until the triage addresses l1, then the list stands in for it.
      members: [],
    });
    expect(want[1]).toMatchObject({ funnel: { addressed: 7, seen: 1 }, live: [...rootList, ...page2] });
    expect(want[2]).toMatchObject({ funnel: { addressed: 6, read: 1 }, live: ['l1', 'l2', 'l3', 'l4', 'l5', 'l9'] });
    expect(want[3]).toMatchObject({ funnel: { addressed: 5, read: 1 }, live: rootList });

    // Replayed by a handler that remembers nothing and keeps almost nothing (a restart from a
    // checkpoint before them), event by event: the roots are read from the log, nothing counts twice.
    const cold = searchHandler(index, 1, store, 1);
    const all = batchOf(events, 1);
    for (const f of all) await cold.handle([f]);
    expect(await read(refs)).toEqual(want);
    // In a rebuild the roots are met before the references, as the log has them.
    await runner.rebuild();
    expect(await read(refs)).toEqual(want);
  });

  it('a handler that meets a reference first after a restart stores the root again and reads the message as written', async () => {
    const { store, index } = subject();
    const [root, x, y] = [mid(1_000), mid(1_000), mid(1_000)] as [string, string, string];
    const rootEvents = [published(root), triaged(root, 0, ['k1', 'k2'])];
    for (const e of rootEvents) await store.append(streamOf(e), [{ ...e, metadata: meta(at(0)) }], 'any');
    // The root's message indexed by one handler; the references by another that never met the root.
    await searchHandler(index, undefined, store).handle(batchOf(rootEvents, 1));
    const restarted = searchHandler(index, undefined, store);
    await restarted.handle(batchOf([published(x), named(x, 0, root, 0, 2), ack('k2', x, 'read', 'websocket')], 10));
    await restarted.handle(batchOf([published(y), named(y, 0, root, 0, 2)], 20));
    await index.refresh();
    const lists = await index.liveUids([root, x, y]);
    expect([sorted(lists.get(root)), sorted(lists.get(x)), sorted(lists.get(y))]).toEqual([
      ['k1', 'k2'],
      ['k1', 'k2'],
      ['k1', 'k2'],
    ]);
    const docs = await index.messages([x, y]);
    expect(docs.get(x)?.funnel).toMatchObject({ addressed: 2, triaged: 2, sentAny: 2, delivered: 1, read: 1 });
    expect(docs.get(y)?.funnel).toMatchObject({ addressed: 2, triaged: 2, sentAny: 2, delivered: 0 });
    expect(await index.funnel({ tid: 'tlive' })).toMatchObject({ messages: 3, addressed: 6, read: 1 });
  });
};
