import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../../adapters/eventstore/memory.js';
import type { EventStore } from '../../ports/eventstore.js';
import type { SearchIndex } from '../../ports/search.js';
import type { MessageFilter } from '../../schema/search-query.js';
import { createSearchProjectionRunner } from '../../projections/search/open.js';
import { faultyLog } from './faulty-log.js';
import type { LogFaults } from './faulty-log.js';
import { searchRebuildCases } from './search-rebuild.contract.js';
import { searchFunnelCases } from './search-funnel.contract.js';
import { searchNonRecipientCases } from './search-non-recipients.contract.js';
import { searchOnlineCases } from './search-online.contract.js';
import { searchLiveCases } from './search-live.contract.js';
import { searchLiveRefCases } from './search-live-refs.contract.js';
import { searchVariantCases } from './search-variants.contract.js';
import { searchErasureCases } from './search-erasure.contract.js';
import { searchUserCases } from './search-users.contract.js';
import type { SearchProjectionRunner } from '../../projections/search/open.js';
import { meta, to } from '../unit/projections/fixtures.js';
import { searchQueryCases } from './search-queries.contract.js';
import {
  D,
  S,
  type Timed,
  acked,
  triagedTo,
  append,
  at,
  counts,
  delivery,
  dump,
  expectedDeliveries,
  expectedMessages,
  m1,
  m2,
  m3,
  message,
  mid,
  onM1,
  published,
  scenario,
  waitUntil,
} from './search-scenario.js';

// One suite for every SearchIndex adapter (SQLite/FTS5 and Elasticsearch), fed through the
// real search projection from a real (memory) event log. Every expectation is a literal
// answer, so the adapters answer identically or one of them fails.
export interface SearchUnderTest {
  readonly index: SearchIndex;
  /** Makes the engine itself refuse writes (a trigger, a closed index) until healWrites(). */
  readonly breakWrites: () => Promise<void>;
  readonly healWrites: () => Promise<void>;
  readonly cleanup: () => Promise<void>;
}

export const searchContract = (name: string, setup: () => Promise<SearchUnderTest>) =>
  describe(`SearchIndex contract: ${name}`, () => {
    let sut: SearchUnderTest;
    let index: SearchIndex;
    let store: EventStore;
    let faults: LogFaults;
    let runner: SearchProjectionRunner;
    let head: number;
    const newRunner = () =>
      createSearchProjectionRunner({ store, index, pageSize: 5, retry: { firstMs: 20, maxMs: 200 } });
    // A case that starts from an empty store and log (the scenario's users are not in its population).
    const emptyStore = async () => {
      await runner.stop();
      await index.reset();
      ({ store, faults } = faultyLog(createMemoryEventStore()));
      runner = newRunner();
      runner.start();
      return { store, index, runner };
    };
    const mids = async (filter: MessageFilter, limit = 50): Promise<string[]> =>
      (await index.searchMessages({ limit, filter })).hits.map((h) => h.mid);

    beforeAll(async () => {
      sut = await setup();
      index = sut.index;
    });
    afterAll(async () => {
      await sut.cleanup();
    });
    beforeEach(async () => {
      await index.reset();
      ({ store, faults } = faultyLog(createMemoryEventStore()));
      runner = newRunner();
      runner.start();
      head = await append(store, scenario);
      await runner.waitFor(head, 20_000);
    });
    afterEach(async () => {
      await runner.stop();
    });

    describe('funnel and channels', () => {
      searchFunnelCases(() => ({ store, index, runner }));
      searchNonRecipientCases(() => ({ store, index, runner }));
      searchVariantCases(() => ({ store, index, runner }));
      searchLiveCases(() => ({ store, index, runner }));
      searchLiveRefCases(() => ({ store, index, runner }));
    });

    describe('user directory and segments', () => {
      // Each case starts from an empty directory: the scenario's users are not in its population.
      searchUserCases(emptyStore);
    });

    describe('online time (check-ins)', () => {
      searchOnlineCases(emptyStore);
    });

    describe('erasure (docs/gdpr.md)', () => {
      searchErasureCases(emptyStore);
    });

    describe('projection', () => {
      describe('blue/green rebuild', () => {
        searchRebuildCases(() => ({
          store,
          index,
          runner,
          faults,
          documents: async () => ({
            messages: await dump(index, 'messages'),
            deliveries: await dump(index, 'deliveries'),
          }),
        }));
      });

      it('indexes each message once with its audience, recipients, text, status and receipt counts', async () => {
        expect(await dump(index, 'messages')).toEqual(expectedMessages);
        expect([...(await index.messages([m3, 'nope'])).values()]).toEqual([expectedMessages[2]]);
        expect(await index.checkpoint('search')).toBe(head);
      });

      it('keeps one delivery per (mid, uid, channel): first time per status, highest status, latency from publish', async () => {
        expect(await dump(index, 'deliveries')).toEqual(expectedDeliveries);
        const id = `${m1}:bob:api`;
        expect((await index.deliveries([id])).get(id)).toEqual(expectedDeliveries.find((d) => d.id === id));
      });

      it('replaying the log over its own documents (checkpoint moved back) changes nothing and counts nothing twice', async () => {
        // Receipts count from addressed users only: u0..u12 are addressed by m1's and m2's triage
        // before their receipts, and by m3's after them (held, then counted, on a replay too).
        const us = Array.from({ length: 13 }, (_, i) => `u${String(i)}`);
        const extra: Timed[] = [triagedTo(m1, us, 3 * D - S, 1), triagedTo(m2, us, 3 * D - S, 1)];
        for (let i = 0; i < 60; i += 1)
          extra.push(
            acked(
              `u${i % 13}`,
              [[m1, m2, m3][i % 3] ?? m1],
              (['delivered', 'seen', 'read'] as const)[i % 3] ?? 'seen',
              3 * D + i * S,
            ),
          );
        extra.push(triagedTo(m3, us, 3 * D + 60 * S, 1));
        head = await append(store, extra);
        await runner.waitFor(head, 20_000);
        const before = { messages: await dump(index, 'messages'), deliveries: await dump(index, 'deliveries') };
        // 20 receipts per (message, status) from 13 distinct users (u0..u12), plus the scenario's.
        expect(before.messages.slice(0, 3).map((m) => m.counts)).toEqual([
          counts({ delivered: 14, seen: 1, read: 1 }),
          counts({ delivered: 1, seen: 13 }),
          counts({ delivered: 2, clicked: 1, read: 13 }),
        ]);
        // u0 acknowledged m1 at 3d and again at 3d+39s: the first time stays.
        expect(before.deliveries.find((d) => d.id === `${m1}:u0:api`)).toMatchObject({
          at: at(3 * D),
          latency_ms: 3 * D - 10 * S,
        });
        for (const back of [0, 7]) {
          await runner.stop();
          await index.write([], { name: 'search', position: back });
          runner = newRunner();
          runner.start();
          await runner.waitFor(head, 20_000);
          expect({ messages: await dump(index, 'messages'), deliveries: await dump(index, 'deliveries') }).toEqual(
            before,
          );
        }
      });

      it('rebuild drops stale and corrupted documents and replays the whole log to the documents of a build from scratch, then follows the log', async () => {
        const scratch = { messages: await dump(index, 'messages'), deliveries: await dump(index, 'deliveries') };
        expect(scratch).toEqual({ messages: expectedMessages, deliveries: expectedDeliveries });
        // Damage written through the port, as a bug or an older version would have left it: a
        // message and a delivery no event made, a status and a delivery no event says, and
        // counts that include a ghost. Replaying alone repairs none of it (creating a message
        // that exists is a no-op; m1 has no status event; the ghost's documents are never touched).
        const ghost = message('ghost-0000', {
          tid: null,
          from: 'nobody',
          audience: 'user',
          recipients: 1,
          text: 'stale ghost document',
          urgency: 3,
          at: at(S),
          status: 'published',
        });
        await index.write(
          [
            { kind: 'createMessage', doc: ghost },
            { kind: 'setMessageStatus', mid: m1, status: 'retracted' },
            { kind: 'putDelivery', doc: { ...delivery(m2, 'ghost', 'sms', 'clicked', S, S, { clicked: S }, onM1(S)) } },
            { kind: 'addToSet', mid: m3, status: 'read', uid: 'ghost' },
            { kind: 'recount', mid: m3 },
          ],
          { name: 'stale-plant', position: 1 },
        );
        await index.refresh();
        expect(await mids({ text: 'ghost' })).toEqual(['ghost-0000']);
        expect(await dump(index, 'messages')).not.toEqual(scratch.messages);
        expect(await dump(index, 'deliveries')).not.toEqual(scratch.deliveries);
        const progress: number[] = [];
        const report = await runner.rebuild((p) => progress.push(p));
        expect(report).toEqual({ replayed: scenario.length });
        await runner.waitFor(head);
        expect(progress.at(-1)).toBe(head);
        expect({ messages: await dump(index, 'messages'), deliveries: await dump(index, 'deliveries') }).toEqual(
          scratch,
        );
        expect(await mids({ text: 'ghost' })).toEqual([]);
        const m7 = mid(D);
        await runner.waitFor(
          await append(store, [
            published(m7, to.user('cid'), { at: 3 * D, from: 'ann', msg: 'after rebuild', urgency: 3 }),
          ]),
        );
        expect(await mids({ text: 'rebuild' })).toEqual([m7]);
      });

      it('stores the checkpoint only after the documents: a refused write leaves it, and the retry catches up', async () => {
        await sut.breakWrites();
        const m7 = mid(D);
        let target = 0;
        try {
          target = await append(store, [
            published(m7, to.user('cid'), { at: 3 * D, from: 'ann', msg: 'written later', urgency: 3 }),
          ]);
          await waitUntil(() => runner.health().failures >= 2, 'two refused writes');
          // Held at the last good position, and saying it is stuck there (follower/follower.ts).
          expect(runner.status()).toHaveLength(1);
          expect(runner.status()[0]).toMatchObject({ name: 'search', position: head, stalled: { position: head } });
          expect(runner.status()[0]?.stalled?.attempts).toBeGreaterThanOrEqual(2);
          expect(await index.checkpoint('search')).toBe(head);
        } finally {
          await sut.healWrites();
        }
        await runner.waitFor(target, 20_000);
        expect(await index.checkpoint('search')).toBe(target);
        expect(await mids({ text: 'written later' })).toEqual([m7]);
        expect(runner.status()).toEqual([{ name: 'search', position: target }]);
      });

      it('skips events of other types and counts undecodable ones; waitFor times out and rejects on stop', async () => {
        const p = await store.append(
          'message-bad',
          [
            { type: 'MessagePublished', data: { mid: 'x' }, metadata: meta() },
            { type: 'SomethingElse', data: {}, metadata: meta() },
            { type: 'UserRecognized', data: { uid: 'zed', via: 'token' }, metadata: meta() },
          ],
          'any',
        );
        if (p.kind !== 'appended') throw new Error('append refused');
        await runner.waitFor(p.position);
        expect(runner.skipped()).toEqual({ unknown: 1, invalid: 1 });
        expect(await dump(index, 'messages')).toHaveLength(6);
        await expect(runner.waitFor(p.position + 1, 50)).rejects.toThrow(/did not reach/);
        const pending = runner.waitFor(p.position + 1, 5_000);
        await runner.stop();
        await expect(pending).rejects.toThrow(/stopped/);
      });
    });

    searchQueryCases(() => ({ index, store, runner }));
  });
