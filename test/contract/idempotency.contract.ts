import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IdempotencyStore } from '../../ports/idempotency.js';
import { createIdempotency } from '../../api/idempotency.js';
import type { RouteReply } from '../../api/route.js';

// One suite for every IdempotencyStore (memory in the unit tier, the SQLite file the broker
// uses in the integration tier): what the port promises, and the Idempotency-Key flow of
// api/idempotency.ts on top of it. `reopen` (where the store is durable) gives a new store on
// the same storage, as a restarted broker would open it.
export interface IdempotencyUnderTest {
  readonly store: IdempotencyStore;
  readonly reopen?: () => Promise<IdempotencyStore>;
  /** Closes whichever store is open last (the reopened one, if any) and removes its files. */
  readonly cleanup: () => Promise<void>;
}

const reply = (mid: string): RouteReply => ({ status: 200, body: true, headers: { 'X-Message-Id': mid } });
const record = (scope: string, mid: string, createdAt = 1_000, requestHash = 'h1') => ({
  scope,
  requestHash,
  mid,
  createdAt,
});

/** `durable`: the store keeps its records across a reopen (SQLite); the memory store does not, so that test is not registered for it. */
/**
 * `expiresByItself`: the engine forgets records by their age on its own (JetStream KV's max
 * age), so expire() counts nothing; its own suite shows records going.
 */
export const idempotencyContract = (
  name: string,
  factory: () => Promise<IdempotencyUnderTest>,
  durable: boolean,
  opts: { readonly expiresByItself?: boolean } = {},
): void => {
  describe(`IdempotencyStore contract: ${name}`, () => {
    let t: IdempotencyUnderTest;
    let store: IdempotencyStore;
    beforeEach(async () => {
      t = await factory();
      store = t.store;
    });
    afterEach(async () => {
      await t.cleanup();
    });

    it('reserves once per scope: a second reserve returns the first record, whatever it carries', async () => {
      expect(await store.reserve(record('s1', 'm1'))).toEqual(record('s1', 'm1'));
      expect(await store.reserve(record('s1', 'm2', 2_000, 'h2'))).toEqual(record('s1', 'm1'));
      expect(await store.reserve(record('s2', 'm3'))).toEqual(record('s2', 'm3'));
    });

    it('keeps the completed answer with the record, headers and body exactly', async () => {
      await store.reserve(record('s1', 'm1'));
      const response = { status: 201, body: '{"tid":"x","ü":"✓"}', headers: { 'X-Message-Id': 'm1', Location: '/x' } };
      await store.complete('s1', response);
      expect(await store.reserve(record('s1', 'other'))).toEqual({ ...record('s1', 'm1'), response });
    });

    it('keeps the reserving owner with the record', async () => {
      const owned = { ...record('s1', 'm1'), owner: 'node-a/boot-1' };
      expect(await store.reserve(owned)).toEqual(owned);
      expect(await store.reserve({ ...record('s1', 'm2'), owner: 'node-b/boot-2' })).toEqual(owned);
    });

    if (opts.expiresByItself === true)
      it('leaves expiry to the engine: expire() counts nothing and forgets nothing it cannot', async () => {
        await store.reserve(record('old', 'm1', 1_000));
        expect(await store.expire(5_000)).toBeUndefined();
      });
    else
      it('forgets records created before the cut-off, and only those', async () => {
        await store.reserve(record('old', 'm1', 1_000));
        await store.reserve(record('new', 'm2', 5_000));
        expect(await store.expire(5_000)).toBe(1);
        expect(await store.reserve(record('old', 'm3', 6_000))).toEqual(record('old', 'm3', 6_000));
        expect(await store.reserve(record('new', 'm4', 6_000))).toEqual(record('new', 'm2', 5_000));
      });

    it('under the Idempotency-Key flow: the first answer again, 422 for another body, a 5xx re-run with the reserved id', async () => {
      const idem = createIdempotency(store);
      const runs: string[] = [];
      let fail = true;
      const execute = (mid: string) => {
        runs.push(mid);
        return Promise.resolve(fail ? { status: 503, code: 'FailedToAppend', msg: 'x' } : reply(mid));
      };
      const run = (key: string, fingerprint: string, freshMid: string) =>
        idem.run({ uid: 'u', key, fingerprint, freshMid, now: 1_000, execute });
      expect(await run('k', 'A', 'm1')).toMatchObject({ status: 503 });
      fail = false;
      expect(await run('k', 'A', 'm2')).toMatchObject({ status: 200, headers: { 'X-Message-Id': 'm1' } });
      expect(await run('k', 'A', 'm3')).toMatchObject({
        status: 200,
        headers: { 'X-Message-Id': 'm1', 'Idempotent-Replayed': 'true' },
      });
      expect(await run('k', 'B', 'm4')).toMatchObject({ status: 422, code: 'IdempotencyKeyReused' });
      expect(runs).toEqual(['m1', 'm1']);
    });

    if (durable)
      it('keeps reservations and answers across a reopen', async () => {
        if (t.reopen === undefined) throw new Error(`${name}: a durable store needs reopen()`);
        await store.reserve(record('done', 'm1'));
        await store.complete('done', { status: 200, body: 'true', headers: { 'X-Message-Id': 'm1' } });
        // Reserved by a process that died before it stored an answer.
        await store.reserve(record('dying', 'm2'));
        await store.close();
        store = await t.reopen();
        expect(await store.reserve(record('done', 'x'))).toMatchObject({
          mid: 'm1',
          response: { status: 200, body: 'true' },
        });
        expect(await store.reserve(record('dying', 'y'))).toEqual(record('dying', 'm2'));
      });
  });
};
