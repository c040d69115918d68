import { afterEach, describe, expect, it } from 'vitest';
import { createIdGenerator } from '../../adapters/ids/ids.js';
import { asMessageId, asUserId } from '../../schema/ids.js';
import { MINUTE, T0, ctx, ok, subscription, world } from './triage-harness.js';
import type { World } from './triage-harness.js';

// Dispatch isolation (issue 9), on the real embedded log: a channel whose provider call never
// answers holds one slot of its own lane (delivery/lanes.ts), so another channel's sends go
// on; and dispatch abandons a call at its deadline as a retry, so even that slot comes back.
// (test/e2e/delivery-isolation.e2e.test.ts shows the same through the provider stand-ins.)
let w: World;
afterEach(async () => {
  await w.close();
});

const ids = createIdGenerator(() => T0.getTime());
const sendTo = async (uid: string): Promise<string> => {
  const mid = asMessageId(ids.messageId());
  await ok(w.commands.send(ctx('admin', w.now(), true), mid, asUserId(uid), { msg: 'hi', opts: {} }));
  return mid;
};
/** Polls the log until `done` holds for the events of one type. */
const until = async (type: string, done: (n: number) => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !done((await w.events(type)).length); i++) await new Promise((r) => setTimeout(r, 10));
  expect(done((await w.events(type)).length)).toBe(true);
};
const ANDROID = { os: 'android', token: `tok-${'x'.repeat(40)}` } as const;

describe('a provider call that never answers', () => {
  it("delays only its own channel's lane: another channel's send goes out meanwhile", async () => {
    w = world();
    await ok(w.commands.enlist(ctx('bob', w.now()), subscription('bob')));
    await ok(w.commands.enlist(ctx('carol', w.now()), ANDROID));
    w.channels.webpush.hangFrom = 0;
    const toBob = await sendTo('bob');
    for (let i = 0; i < 500 && w.channels.webpush.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(w.channels.webpush.calls).toHaveLength(1);
    await sendTo('carol');
    await until('DeliverySucceeded', (n) => n === 1);
    const [done] = await w.events('DeliverySucceeded');
    expect(done?.data).toMatchObject({ uid: 'carol', channel: 'fcm' });
    // Bob's push is still claimed, with no outcome.
    const bob = (await w.events()).filter(
      (e) => e.type.startsWith('Delivery') && (e.data as { mid?: string }).mid === toBob,
    );
    expect(bob.map((e) => e.type)).toEqual(['DeliveryAttempted']);
  });

  it('is abandoned at its deadline as a retry, and the retry is sent with the same delivery id', async () => {
    w = world({ dispatch: { callTimeoutMs: 300 } });
    await ok(w.commands.enlist(ctx('bob', w.now()), subscription('bob')));
    w.channels.webpush.hangFrom = 0;
    await sendTo('bob');
    // Settling needs the hung call's lane slot back: the deadline gives it.
    await w.reactors.settle(10_000);
    const [failed] = await w.events('DeliveryFailed');
    expect(failed?.data).toMatchObject({ uid: 'bob', channel: 'webpush', outcome: 'retry', attempt: 0 });
    expect((failed?.data as { reason?: string } | undefined)?.reason).toContain('no answer within 300 ms');
    expect(await w.events('DeliveryRetryScheduled')).toHaveLength(1);
    w.channels.webpush.hangFrom = Number.POSITIVE_INFINITY;
    w.clock.advance(MINUTE);
    await w.reactors.settle(10_000);
    expect(await w.events('DeliverySucceeded')).toHaveLength(1);
    const calls = w.channels.webpush.calls;
    expect(calls.map((c) => c.attempt)).toEqual([0, 1]);
    expect(calls[1]?.id).toBe(calls[0]?.id);
  });
});
