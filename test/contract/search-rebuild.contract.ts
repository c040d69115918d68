import { expect, it } from 'vitest';
import type { SearchProjectionRunner } from '../../projections/search/open.js';
import type { SearchIndex } from '../../ports/search.js';
import { zeroCounts, zeroFunnel } from '../../schema/search-documents.js';
import type { EventStore } from '../../ports/eventstore.js';
import { T0, ev, iso, midsFrom, put, to } from '../unit/projections/fixtures.js';
import { REFUSED } from './faulty-log.js';
import type { LogFaults } from './faulty-log.js';

// Blue/green rebuilds of the search index (both engines): the new generation (a file, a set
// of indices behind the aliases) is built beside the live one, which keeps answering with its
// complete documents and following the log; a rebuild that fails part-way changes nothing the
// queries see. A ghost document no event made marks the old generation.

export interface SearchRebuildCtx {
  readonly store: EventStore;
  readonly index: SearchIndex;
  readonly runner: SearchProjectionRunner;
  readonly faults: LogFaults;
  /** Every message and delivery document, in id order. */
  readonly documents: () => Promise<unknown>;
}

const GHOST = 'ghost-0000';
const ghost = async (index: SearchIndex): Promise<void> => {
  await index.write(
    [
      {
        kind: 'createMessage',
        doc: {
          mid: GHOST,
          tid: null,
          from: 'nobody',
          audience: 'user',
          recipients: 1,
          text: 'stale ghost document',
          urgency: 3,
          at: iso(T0),
          scheduled: null,
          status: 'published',
          counts: zeroCounts(),
          funnel: zeroFunnel(),
          channels: [],
        },
      },
    ],
    { name: 'stale-plant', position: 1 },
  );
  await index.refresh();
};

export const searchRebuildCases = (c: () => SearchRebuildCtx): void => {
  const hits = async (text: string): Promise<string[]> =>
    (await c().index.searchMessages({ limit: 50, filter: { text } })).hits.map((h) => h.mid);
  const publish = async (text: string, at: number): Promise<string> => {
    const mid = midsFrom(T0 + at)();
    await c().runner.waitFor(
      await put(c().store, ev.published(mid, to.user('cid'), { msg: text, at: T0 + at })),
      20_000,
    );
    return mid;
  };

  it('a rebuild that fails part-way leaves the old generation serving its documents and following the log', async () => {
    await ghost(c().index);
    const before = await c().documents();
    c().faults.failAfter(2);
    await expect(c().runner.rebuild()).rejects.toThrow(REFUSED);
    expect(c().faults.pages()).toBe(2);
    expect(await c().documents()).toEqual(before);
    expect(await hits('ghost')).toEqual([GHOST]);
    c().faults.heal();
    const mid = await publish('written after the failure', 5e9);
    expect(await hits('failure')).toEqual([mid]);
    await c().runner.rebuild();
    expect(await hits('ghost')).toEqual([]);
    expect(await hits('failure')).toEqual([mid]);
  });

  it('searches during a rebuild see the complete old documents; after the swap, the new; appends meanwhile reach both', async () => {
    await ghost(c().index);
    const before = await c().documents();
    const held = c().faults.holdAfter(2);
    const rebuilding = c().runner.rebuild();
    await held;
    expect(await c().documents()).toEqual(before);
    expect(await hits('ghost')).toEqual([GHOST]);
    const mid = await publish('written meanwhile', 5e9);
    expect(await hits('meanwhile')).toEqual([mid]);
    c().faults.release();
    await rebuilding;
    await c().runner.waitFor(await c().store.head(), 20_000);
    expect(await hits('ghost')).toEqual([]);
    expect(await hits('meanwhile')).toEqual([mid]);
    const later = await publish('written after the swap', 6e9);
    expect(await hits('swap')).toEqual([later]);
  });
};
