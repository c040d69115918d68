import { afterEach, describe, expect, it } from 'vitest';
import { createIdGenerator } from '../../adapters/ids/ids.js';
import { asMessageId, asUserId } from '../../schema/ids.js';
import { SECOND, T0, ctx, ok, subscription, world } from './triage-harness.js';
import type { World } from './triage-harness.js';

// The process dies in the middle of dispatch: some steps done, some claimed and handed to
// the provider (which never answered), some claimed and not yet handed over. After a
// restart on the same files every step happens, the done ones are not redone, and only the
// ones the provider may have seen are sent a second time, with the same delivery id.
let w: World;
afterEach(async () => {
  await w.close();
});

const until = async (done: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(done()).toBe(true);
};

describe('a crash between claim and outcome', () => {
  it('after a restart each step happens, and only the in-flight ones twice', async () => {
    w = world({ dispatch: { batchSizes: { webpush: 10, fcm: 500, apns: 500, email: 1000, sms: 100, mqtt: 500 } } });
    const users = Array.from({ length: 30 }, (_, i) => asUserId(`u${String(i).padStart(2, '0')}`));
    for (const u of users) await ok(w.commands.enlist(ctx(u, w.now()), subscription(u)));
    const hung = w.channels.webpush;
    hung.hangFrom = 1; // answers the first batch of 10, then the "provider call" never returns
    const mid = asMessageId(createIdGenerator(() => T0.getTime()).messageId());
    await ok(w.commands.multicast(ctx('admin', w.now(), true), mid, users, { msg: 'hi', opts: {} }));
    await until(() => hung.batches === 2);
    // The answered batch's outcomes reach the log (the restart must not redo them).
    let outcomes = 0;
    for (let i = 0; i < 500 && outcomes < 10; i++) {
      outcomes = (await w.events('DeliverySucceeded')).length;
      if (outcomes < 10) await new Promise((r) => setTimeout(r, 10));
    }
    expect(outcomes).toBe(10);
    expect(await w.events('DeliveryAttempted')).toHaveLength(30); // every step was claimed before the first call
    expect(hung.calls).toHaveLength(20); // the third batch was claimed but never handed over
    await w.crash();

    await w.restart();
    await w.reactors.settle();
    const resent = w.channels.webpush.calls;
    const firstRun = hung.calls.map((c) => c.id);
    const answered = new Set(firstRun.slice(0, 10));
    const inFlight = new Set(firstRun.slice(10, 20));
    // The answered batch is not redone; the in-flight batch and the claimed-but-unsent one are sent now.
    expect(resent.filter((c) => answered.has(c.id))).toEqual([]);
    expect(resent.filter((c) => inFlight.has(c.id))).toHaveLength(10);
    expect(resent).toHaveLength(20);
    expect(new Set(resent.map((c) => c.id)).size).toBe(20);
    expect(resent.every((c) => c.attempt === 1)).toBe(true);
    // Every step ended delivered, once.
    const succeeded = await w.events('DeliverySucceeded');
    expect(succeeded).toHaveLength(30);
    // (one unit each: the batched facts share their group stream, so the unit is its key)
    expect(new Set(succeeded.map((e) => (e.data as { key: string }).key)).size).toBe(30);
    expect(new Set([...firstRun, ...resent.map((c) => c.id)]).size).toBe(30);
    // A later restart changes nothing.
    await w.crash();
    await w.restart();
    w.clock.advance(10 * 60 * SECOND);
    await w.reactors.settle();
    expect(w.channels.webpush.calls).toHaveLength(0);
  });

  it("another node takes over a dead node's claim only when its lease ends", async () => {
    w = world({ node: 'node-a' });
    await ok(w.commands.enlist(ctx('bob', w.now()), subscription('bob')));
    w.channels.webpush.hangFrom = 0;
    await ok(
      w.commands.send(
        ctx('admin', w.now(), true),
        asMessageId(createIdGenerator(() => T0.getTime()).messageId()),
        asUserId('bob'),
        { msg: 'hi', opts: {} },
      ),
    );
    await until(() => w.channels.webpush.calls.length === 1);
    await w.crash();
    await w.restart(false, { node: 'node-b' });
    await w.reactors.settle();
    expect(w.channels.webpush.calls).toHaveLength(0); // node-a might still be alive and sending
    w.clock.advance(120 * SECOND); // the default lease
    await w.reactors.settle();
    expect(w.channels.webpush.calls.map((c) => c.attempt)).toEqual([1]);
    expect(await w.events('DeliverySucceeded')).toHaveLength(1);
  });
});
