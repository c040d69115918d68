import { afterEach, describe, expect, it } from 'vitest';
import { triageStream } from '../../domain/triage/keys.js';
import { asUserId } from '../../schema/ids.js';
import { MINUTE, T0, ctx, ok, sent, subscription, world } from './triage-harness.js';
import type { World } from './triage-harness.js';

import { flowHelpers } from './triage-flow-helpers.js';

// Triage on the embedded log with a fixed clock: who an audience is (thread subscribers,
// broadcasts), bounded batches that resume where they stopped, and digests of very-low urgency.
let w: World;
afterEach(async () => {
  await w.close();
});
const { newMid, bob, admin, send, skipsOf } = flowHelpers(() => w);

describe('audiences', () => {
  it("a thread's subscribers, not its sender; a broadcast reaches the users known before it", async () => {
    w = world();
    const tid = 'lobby';
    await ok(w.commands.createThread(ctx('alice', w.now()), { tid: tid as never, opens: true }));
    for (const u of ['alice', 'bob', 'carol']) {
      await ok(w.commands.enlist(ctx(u, w.now()), subscription(u)));
      await ok(w.commands.subscribe(ctx(u, w.now()), tid as never));
    }
    await ok(w.commands.publish(ctx('alice', w.now()), newMid(), tid as never, { msg: 'hi all', opts: {} }));
    await w.reactors.settle();
    expect(sent(w)).toEqual(['webpush:bob', 'webpush:carol']);
    await ok(w.commands.broadcast(admin(), newMid(), { msg: 'to everyone', opts: {} }));
    await ok(w.commands.enlist(ctx('dave', w.now()), subscription('dave'))); // known only after the broadcast
    await w.reactors.settle();
    expect(sent(w)).toEqual(['webpush:alice', 'webpush:bob', 'webpush:bob', 'webpush:carol', 'webpush:carol']);
  });
});

describe('bounded batches', () => {
  const batchesOf = async (mid: string) =>
    (await w.store.read(triageStream(mid))).map(
      (e) => e.data as { batch: number; next?: string; recipients: { uid: string }[] },
    );
  it('thread and broadcast audiences are paged: each recipient in exactly one batch', async () => {
    w = world({ triage: { batchSize: 2 } });
    await ok(w.commands.createThread(ctx('owner', w.now()), { tid: 'big' as never, opens: true }));
    const members = ['m1', 'm2', 'm3', 'm4', 'm5'];
    for (const u of members) await ok(w.commands.subscribe(ctx(u, w.now()), 'big' as never));
    for (const u of ['owner', ...members]) await ok(w.commands.recognize(ctx(u, w.now()))); // as the API does for every caller
    const toThread = newMid();
    await ok(w.commands.publish(ctx('owner', w.now()), toThread, 'big' as never, { msg: 'hi', opts: {} }));
    const toAll = newMid();
    await ok(w.commands.broadcast(admin(), toAll, { msg: 'all', opts: {} }));
    await w.reactors.settle();
    const thread = await batchesOf(toThread);
    expect(thread.map((b) => b.recipients.map((r) => r.uid))).toEqual([['m1', 'm2'], ['m3', 'm4'], ['m5']]);
    expect(thread.map((b) => b.next)).toEqual(['m2', 'm4', undefined]);
    // Everyone known before the broadcast.
    expect((await batchesOf(toAll)).flatMap((b) => b.recipients.map((r) => r.uid))).toEqual([
      'm1',
      'm2',
      'm3',
      'm4',
      'm5',
      'owner',
    ]);
  });
  it('an expansion interrupted after some batches resumes after the last one written', async () => {
    w = world({ triage: { batchSize: 2 } });
    await w.reactors.stop(); // while they are off, the log gets a message and its first batch by hand
    const mid = newMid();
    const uids = ['a', 'b', 'c', 'd', 'e'].map(asUserId);
    await ok(w.commands.multicast(admin(), mid, uids, { msg: 'hi', opts: {} }));
    const meta = {
      eventId: 'by-hand',
      occurredAt: w.now().toISOString(),
      actor: { uid: 'test', roles: [] },
      correlationId: 'c',
      causationId: 'c',
    };
    const first = {
      mid,
      batch: 0,
      due: w.now().toISOString(),
      expiresAt: new Date(T0.getTime() + 86_400_000).toISOString(),
      urgency: 3,
      next: '2',
      recipients: [
        { uid: 'a', online: false, steps: [] },
        { uid: 'b', online: false, steps: [] },
      ],
    };
    await w.store.append(triageStream(mid), [{ type: 'MessageTriaged', data: first, metadata: meta }], 'no_stream');
    await w.crash();
    await w.restart();
    await w.reactors.settle();
    const batches = await batchesOf(mid);
    expect(batches.map((b) => [b.batch, b.recipients.map((r) => r.uid)])).toEqual([
      [0, ['a', 'b']],
      [1, ['c', 'd']],
      [2, ['e']],
    ]);
  });
});

describe('very-low urgency', () => {
  it('gathers the email of a window into one digest', async () => {
    w = world({ triage: { urgency: { 1: { nearlineDelayMs: 0 } }, digestWindowMs: 60 * MINUTE } });
    await ok(w.commands.changeProfile(ctx('bob', w.now()), bob, { email: 'bob@example.org' }));
    const first = await send({ urgency: 1 });
    w.clock.advance(10 * MINUTE);
    const second = await send({ urgency: 1 });
    w.clock.advance(10 * MINUTE);
    const third = await send({ urgency: 1 });
    await w.reactors.settle();
    await ok(w.commands.acknowledge(ctx('bob', w.now()), [third], 'read'));
    expect(sent(w)).toEqual([]);
    w.clock.set(new Date(T0.getTime() + 60 * MINUTE));
    await w.reactors.settle();
    expect(w.channels.email.calls.map((c) => c.mids)).toEqual([[second, first]]);
    // The third left the digest because bob read it, and the log says so.
    expect(await skipsOf(third)).toEqual(['email:read']);
    w.clock.advance(60 * MINUTE);
    await w.reactors.settle();
    expect(w.channels.email.calls).toHaveLength(1);
    expect(w.reactors.status().find((s) => s.name === 'scheduler')?.timers).toBe(0);
  });
});
