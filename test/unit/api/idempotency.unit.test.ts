import { describe, expect, it } from 'vitest';
import { createMemoryIdempotencyStore } from '../../../adapters/idempotency/memory.js';
import { createIdempotency } from '../../../api/idempotency.js';
import type { RouteReply } from '../../../api/route.js';

const reply = (mid: string): RouteReply => ({ status: 200, body: true, headers: { 'X-Message-Id': mid } });

describe('Idempotency-Key', () => {
  it('answers a repeat with the first answer and runs the command once', async () => {
    const idem = createIdempotency(createMemoryIdempotencyStore());
    const runs: string[] = [];
    const execute = (mid: string) => {
      runs.push(mid);
      return Promise.resolve(reply(mid));
    };
    const first = await idem.run({ uid: 'u', key: 'k', fingerprint: 'A', freshMid: 'm1', now: 0, execute });
    const again = await idem.run({ uid: 'u', key: 'k', fingerprint: 'A', freshMid: 'm2', now: 1, execute });
    expect(runs).toEqual(['m1']);
    expect(again).toMatchObject({
      status: 200,
      body: true,
      headers: { 'X-Message-Id': 'm1', 'Idempotent-Replayed': 'true' },
    });
    expect(first).toMatchObject({ headers: { 'X-Message-Id': 'm1' } });
  });

  it('refuses the same key with another body (422) and scopes keys per caller', async () => {
    const idem = createIdempotency(createMemoryIdempotencyStore());
    const execute = (mid: string) => Promise.resolve(reply(mid));
    await idem.run({ uid: 'u', key: 'k', fingerprint: 'A', freshMid: 'm1', now: 0, execute });
    expect(await idem.run({ uid: 'u', key: 'k', fingerprint: 'B', freshMid: 'm2', now: 0, execute })).toMatchObject({
      status: 422,
      code: 'IdempotencyKeyReused',
    });
    expect(await idem.run({ uid: 'other', key: 'k', fingerprint: 'B', freshMid: 'm3', now: 0, execute })).toMatchObject(
      { headers: { 'X-Message-Id': 'm3' } },
    );
  });

  it('records that cannot be reached: 503 FailedToAppend and nothing run; an answer that cannot be stored is still given', async () => {
    const store = createMemoryIdempotencyStore();
    const runs: string[] = [];
    const execute = (mid: string) => {
      runs.push(mid);
      return Promise.resolve(reply(mid));
    };
    const down = createIdempotency({ ...store, reserve: () => Promise.reject(new Error('no responders')) });
    expect(await down.run({ uid: 'u', key: 'k', fingerprint: 'A', freshMid: 'm1', now: 0, execute })).toMatchObject({
      status: 503,
      code: 'FailedToAppend',
      headers: { 'Retry-After': '1' },
    });
    expect(runs).toEqual([]);
    const forgetful = createIdempotency({ ...store, complete: () => Promise.reject(new Error('timeout')) });
    expect(
      await forgetful.run({ uid: 'u', key: 'k', fingerprint: 'A', freshMid: 'm2', now: 0, execute }),
    ).toMatchObject({ status: 200, headers: { 'X-Message-Id': 'm2' } });
    expect(runs).toEqual(['m2']);
  });

  it('overlapping requests with one key run once', async () => {
    const idem = createIdempotency(createMemoryIdempotencyStore());
    let runs = 0;
    const execute = async (mid: string) => {
      runs += 1;
      await new Promise((r) => setTimeout(r, 20));
      return reply(mid);
    };
    const all = await Promise.all(
      [1, 2, 3].map((i) => idem.run({ uid: 'u', key: 'k', fingerprint: 'A', freshMid: `m${i}`, now: 0, execute })),
    );
    expect(runs).toBe(1);
    expect(
      all.map((r) =>
        'headers' in r ? (r as { headers?: Record<string, string> }).headers?.['X-Message-Id'] : undefined,
      ),
    ).toEqual(['m1', 'm1', 'm1']);
  });

  it('a try that failed with 5xx is re-run with the same reserved message id', async () => {
    const idem = createIdempotency(createMemoryIdempotencyStore());
    const mids: string[] = [];
    let fail = true;
    const execute = (mid: string) => {
      mids.push(mid);
      return Promise.resolve(fail ? { status: 503, code: 'FailedToAppend', msg: 'x' } : reply(mid));
    };
    expect(await idem.run({ uid: 'u', key: 'k', fingerprint: 'A', freshMid: 'm1', now: 0, execute })).toMatchObject({
      status: 503,
    });
    fail = false;
    expect(await idem.run({ uid: 'u', key: 'k', fingerprint: 'A', freshMid: 'm2', now: 0, execute })).toMatchObject({
      status: 200,
    });
    expect(mids).toEqual(['m1', 'm1']);
  });
});
