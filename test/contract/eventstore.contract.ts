import * as fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventStore, ExpectedRevision, RecordedEvent } from '../../ports/eventstore.js';
import { appended, conflict, ev, evs, isStrictlyIncreasing, meta, positions } from './eventstore-fixtures.js';
import { eventStoreSubscribeCases } from './eventstore-subscribe.contract.js';

// One suite for every EventStore adapter (memory, SQLite, and any server-backed store).
// It asserts only what the port promises, so it must not lean on one engine's timing:
// ordering claims are about the log as read back, never about the order promises settle.
export interface EventStoreUnderTest {
  readonly store: EventStore;
  readonly cleanup: () => Promise<void>;
}
export type EventStoreFactory = () => Promise<EventStoreUnderTest>;

export const eventStoreContract = (name: string, factory: EventStoreFactory) =>
  describe(`EventStore contract: ${name}`, () => {
    let store: EventStore;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await factory());
    });
    afterEach(async () => {
      await cleanup();
    });

    describe('append', () => {
      it('creates a stream with no_stream and refuses no_stream once it exists', async () => {
        const r = appended(await store.append('s', evs(2), 'no_stream'));
        expect(r.nextRevision).toBe(1);
        expect(r.position).toBe(await store.head());
        expect((await store.read('s')).map((e) => e.revision)).toEqual([0, 1]);
        expect(await store.append('s', evs(1), 'no_stream')).toEqual(conflict('s', 'no_stream', 1));
      });

      it('appends with any to a new and to an existing stream', async () => {
        expect(appended(await store.append('s', evs(1), 'any')).nextRevision).toBe(0);
        expect(appended(await store.append('s', evs(3), 'any')).nextRevision).toBe(3);
      });

      it('refuses stream_exists on a missing stream and accepts it on an existing one', async () => {
        expect(await store.append('s', evs(1), 'stream_exists')).toEqual(conflict('s', 'stream_exists', -1));
        await store.append('s', evs(1), 'no_stream');
        expect(appended(await store.append('s', evs(1), 'stream_exists')).nextRevision).toBe(1);
      });

      it('accepts the exact current revision and reports the actual one on a conflict', async () => {
        await store.append('s', evs(1), 'no_stream');
        expect(appended(await store.append('s', evs(2), 0)).nextRevision).toBe(2);
        expect(await store.append('s', evs(1), 0)).toEqual(conflict('s', 0, 2));
        expect(await store.append('s', evs(1), 3)).toEqual(conflict('s', 3, 2));
        expect(await store.append('other', evs(1), 0)).toEqual(conflict('other', 0, -1));
      });

      it('writes nothing on a conflict', async () => {
        await store.append('s', evs(2), 'no_stream');
        const head = await store.head();
        await store.append('s', evs(3), 0);
        expect(await store.read('s')).toHaveLength(2);
        expect(await store.head()).toBe(head);
      });

      it('checks the revision of a zero-event append and writes nothing', async () => {
        expect(await store.append('s', [], 'no_stream')).toEqual({ kind: 'appended', nextRevision: -1, position: 0 });
        expect(await store.head()).toBe(0);
        await store.append('s', evs(2), 'no_stream');
        expect(await store.append('s', [], 1)).toEqual({
          kind: 'appended',
          nextRevision: 1,
          position: await store.head(),
        });
        expect(await store.append('s', [], 5)).toEqual(conflict('s', 5, 1));
        expect(await store.read('s')).toHaveLength(2);
      });
    });

    describe('read', () => {
      it('honours fromRevision and limit', async () => {
        await store.append('s', evs(5), 'no_stream');
        const revisions = async (o: { fromRevision?: number; limit?: number }): Promise<number[]> =>
          (await store.read('s', o)).map((e) => e.revision);
        expect(await revisions({})).toEqual([0, 1, 2, 3, 4]);
        expect(await revisions({ fromRevision: 2 })).toEqual([2, 3, 4]);
        expect(await revisions({ limit: 2 })).toEqual([0, 1]);
        expect(await revisions({ fromRevision: 1, limit: 3 })).toEqual([1, 2, 3]);
        expect(await revisions({ fromRevision: 5 })).toEqual([]);
        expect(await store.read('missing')).toEqual([]);
      });

      it('keeps streams apart, even with similar names', async () => {
        await store.append('a', evs(1, 'a'), 'any');
        await store.append('a-1', evs(2, 'a-1-'), 'any');
        await store.append('ab', evs(1, 'ab'), 'any');
        await store.append('a', evs(2, 'a-again'), 'any');
        const a = await store.read('a');
        expect(a.map((e) => [e.stream, e.revision, e.type])).toEqual([
          ['a', 0, 'a0'],
          ['a', 1, 'a-again0'],
          ['a', 2, 'a-again1'],
        ]);
        expect((await store.read('a-1')).map((e) => e.type)).toEqual(['a-1-0', 'a-1-1']);
      });
    });

    describe('readAll', () => {
      it('returns every stream in one global order with strictly increasing positions', async () => {
        const r1 = appended(await store.append('a', evs(2, 'a'), 'any'));
        const r2 = appended(await store.append('b', evs(1, 'b'), 'any'));
        const r3 = appended(await store.append('a', evs(1, 'a2-'), 'any'));
        const all = await store.readAll({ limit: 100 });
        expect(all.map((e) => e.type)).toEqual(['a0', 'a1', 'b0', 'a2-0']);
        expect(all[0]?.position).toBeGreaterThanOrEqual(1);
        expect(isStrictlyIncreasing(positions(all))).toBe(true);
        expect([r1.position, r2.position, r3.position]).toEqual([all[1]?.position, all[2]?.position, all[3]?.position]);
        expect(await store.head()).toBe(r3.position);
      });

      it('pages by position: after is exclusive, limit caps the page', async () => {
        for (let i = 0; i < 7; i++) await store.append(`s${String(i % 3)}`, evs(1, `p${String(i)}-`), 'any');
        const all = await store.readAll({ limit: 100 });
        expect(all).toHaveLength(7);
        const paged: RecordedEvent[] = [];
        for (let after = 0; ; ) {
          const page = await store.readAll({ after, limit: 3 });
          expect(page.length).toBeLessThanOrEqual(3);
          if (page.length === 0) break;
          paged.push(...page);
          after = page[page.length - 1]?.position ?? after;
        }
        expect(paged).toEqual(all);
        const third = all[2]?.position ?? -1;
        expect(positions(await store.readAll({ after: third, limit: 2 }))).toEqual(positions(all.slice(3, 5)));
        expect(await store.readAll({ after: await store.head(), limit: 10 })).toEqual([]);
      });
    });

    describe('round trip', () => {
      it('keeps nested JSON data and metadata, unicode included', async () => {
        const data = {
          text: 'héllo wörld 你好 🎉 "quoted" \\ back\nslash\u0000nul',
          nested: { list: [1, 2.5, -3, null, true, false, { deep: ['x', { deeper: [] }] }], empty: {} },
          big: Number.MAX_SAFE_INTEGER,
        };
        const metadata = meta({ actor: { uid: 'ünï-çødé', roles: ['admin', 'publisher'] }, idempotencyKey: 'key-✓' });
        await store.append('s', [{ type: 'Tëst', data, metadata }, ev('Plain')], 'no_stream');
        const [first, second] = await store.read('s');
        expect(first).toMatchObject({ type: 'Tëst', data, metadata });
        expect(second?.metadata).not.toHaveProperty('idempotencyKey');
        expect((await store.readAll({ limit: 10 }))[0]).toEqual(first);
      });

      it('returns any JSON value as it was appended (property)', async () => {
        let n = 0;
        // JSON has no -0; the stores keep event data as JSON, so values are taken through JSON once.
        const json = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);
        await fc.assert(
          fc.asyncProperty(json, async (data) => {
            const stream = `json-${String(n++)}`;
            await store.append(stream, [ev('Json', data)], 'no_stream');
            expect((await store.read(stream))[0]?.data).toEqual(data);
          }),
          { numRuns: 60 },
        );
      });
    });

    eventStoreSubscribeCases(() => store);

    describe('concurrency', () => {
      it('lets exactly one of many appends with the same expected revision win', async () => {
        await store.append('s', evs(1), 'no_stream');
        const results = await Promise.all(Array.from({ length: 20 }, () => store.append('s', evs(1), 0)));
        expect(results.filter((r) => r.kind === 'appended')).toEqual([
          { kind: 'appended', nextRevision: 1, position: await store.head() },
        ]);
        expect(results.filter((r) => r.kind !== 'appended')).toEqual(
          Array.from({ length: 19 }, () => conflict('s', 0, 1)),
        );
        const fresh = await Promise.all(Array.from({ length: 10 }, () => store.append('fresh', evs(2), 'no_stream')));
        expect(fresh.filter((r) => r.kind === 'appended')).toHaveLength(1);
        expect(await store.read('s')).toHaveLength(2);
        expect(await store.read('fresh')).toHaveLength(2);
      });

      it('commits concurrent appends to different streams', async () => {
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => store.append(`s-${String(i)}`, evs(2), 'no_stream')),
        );
        expect(results.map((r) => appended(r).nextRevision)).toEqual(Array.from({ length: 50 }, () => 1));
        const resultPositions = results.map((r) => appended(r).position);
        expect(new Set(resultPositions).size).toBe(50);
        const all = await store.readAll({ limit: 1000 });
        expect(all).toHaveLength(100);
        expect(isStrictlyIncreasing(positions(all))).toBe(true);
        expect(await store.head()).toBe(Math.max(...resultPositions));
      });

      it('answers every pending append before close() resolves', async () => {
        const pending = Array.from({ length: 10 }, (_, i) => store.append(`s-${String(i)}`, evs(1), 'no_stream'));
        await store.close();
        expect((await Promise.all(pending)).map((r) => r.kind)).toEqual(Array.from({ length: 10 }, () => 'appended'));
      });
    });

    it('reports head 0 when empty and the newest position after appends', async () => {
      expect(await store.head()).toBe(0);
      const r = appended(await store.append('s', evs(3), 'any'));
      expect(await store.head()).toBe(r.position);
    });

    it('keeps per-stream revisions 0..n-1 and one global order under random interleavings (property)', async () => {
      const op = fc.record({
        stream: fc.integer({ min: 0, max: 3 }),
        count: fc.integer({ min: 0, max: 3 }),
        wrong: fc.boolean(),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 20 }), async (ops) => {
          const run = await factory();
          try {
            await checkInterleaving(run.store, ops);
          } finally {
            await run.cleanup();
          }
        }),
        { numRuns: 25 },
      );
    });
  });

interface Op {
  readonly stream: number;
  readonly count: number;
  readonly wrong: boolean;
}

// Each stream's appends run in sequence (so the expected revision is known), the streams
// run concurrently; some appends deliberately name a wrong revision and must conflict.
const checkInterleaving = async (store: EventStore, ops: readonly Op[]): Promise<void> => {
  const streams = [...new Set(ops.map((o) => o.stream))];
  const lastPositions: number[] = [];
  await Promise.all(
    streams.map(async (s) => {
      const name = `stream-${String(s)}`;
      let revision = -1;
      for (const [i, o] of ops.entries()) {
        if (o.stream !== s) continue;
        const right: ExpectedRevision = revision === -1 ? 'no_stream' : revision;
        const wrong: ExpectedRevision = revision === -1 ? 'stream_exists' : revision + 1;
        const result = await store.append(name, evs(o.count, `op${String(i)}-`), o.wrong ? wrong : right);
        if (o.wrong) {
          expect(result).toEqual(conflict(name, wrong, revision));
          continue;
        }
        revision += o.count;
        const r = appended(result);
        expect(r.nextRevision).toBe(revision);
        if (o.count > 0) lastPositions.push(r.position);
      }
    }),
  );
  const all = await store.readAll({ limit: 10_000 });
  const expectedCount = ops.filter((o) => !o.wrong).reduce((n, o) => n + o.count, 0);
  expect(all).toHaveLength(expectedCount);
  expect(isStrictlyIncreasing(positions(all))).toBe(true);
  expect(lastPositions.every((p) => all.some((e) => e.position === p))).toBe(true);
  for (const s of streams) {
    const name = `stream-${String(s)}`;
    const inLog = all.filter((e) => e.stream === name);
    expect(inLog.map((e) => e.revision)).toEqual(inLog.map((_, i) => i));
    const issued = ops.flatMap((o, i) =>
      o.stream === s && !o.wrong ? evs(o.count, `op${String(i)}-`).map((e) => e.type) : [],
    );
    expect(inLog.map((e) => e.type)).toEqual(issued);
    expect(await store.read(name)).toEqual(inLog);
  }
};
