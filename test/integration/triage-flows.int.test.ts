import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteEventStore } from '../../adapters/eventstore/sqlite.js';
import { createIdGenerator } from '../../adapters/ids/ids.js';
import { createCommands } from '../../commands/index.js';
import { stepKey, triageStream } from '../../domain/triage/keys.js';
import { asMessageId, asUserId } from '../../schema/ids.js';
import type { MessageId } from '../../schema/ids.js';
import {
  MINUTE,
  SECOND,
  T0,
  ctx,
  ok,
  sent,
  subscription,
  types,
  unitFacts,
  unitTypes,
  world,
} from './triage-harness.js';
import type { World } from './triage-harness.js';

// Triage, dispatch and the scheduler on the embedded log, with a fixed clock: the flows of
// issue 6, asserted at the recording channels and in the log.
let w: World;
afterEach(async () => {
  await w.close();
});

const ids = createIdGenerator(() => T0.getTime());
const newMid = (): MessageId => asMessageId(ids.messageId());
const bob = asUserId('bob');
const admin = () => ctx('admin', w.now(), true);

const bobWithBrowserAndEmail = async (): Promise<string> => {
  await ok(w.commands.enlist(ctx('bob', w.now()), subscription('bob')));
  await ok(w.commands.changeProfile(ctx('bob', w.now()), bob, { email: 'bob@example.org' }));
  const devices = await w.store.read('user-bob');
  return (devices.find((e) => e.type === 'DeviceEnlisted')?.data as { deviceId: string }).deviceId;
};
const send = async (opts: Record<string, number | string> = {}, scheduled?: Date): Promise<MessageId> => {
  const mid = newMid();
  await ok(
    w.commands.send(admin(), mid, bob, { msg: 'hello bob', opts, ...(scheduled === undefined ? {} : { scheduled }) }),
  );
  return mid;
};
const lastData = async (stream: string): Promise<Record<string, unknown>> =>
  (await w.store.read(stream)).at(-1)?.data as Record<string, unknown>;
/** The last fact of one delivery unit, whichever stream it is in (batched facts expanded). */
const lastFact = async (key: string): Promise<Record<string, unknown>> =>
  (await unitFacts(w, key)).at(-1)?.data as Record<string, unknown>;
// What did NOT happen is asserted through what was decided instead: a skip is a DeliverySkipped
// event with its reason; a step not yet due is the scheduler's next timer.
const skipsOf = async (mid: string): Promise<string[]> =>
  (await w.events('DeliverySkipped'))
    .map((e) => e.data as { mid?: string; channel: string; reason: string })
    .filter((d) => d.mid === mid)
    .map((d) => `${d.channel}:${d.reason}`)
    .sort();
const nextDue = (): string | undefined => w.reactors.status().find((s) => s.name === 'scheduler')?.nextDue;
const at = (ms: number): string => new Date(T0.getTime() + ms).toISOString();

describe('an online recipient', () => {
  it('who reads over the websocket gets no push and no email', async () => {
    w = world();
    const device = await bobWithBrowserAndEmail();
    w.presence.online.add('bob');
    const mid = await send();
    await w.reactors.settle();
    const plan = (await w.events('MessageTriaged'))[0]?.data as {
      recipients: { steps: { channel: string; at: string }[] }[];
    };
    expect(plan.recipients[0]?.steps.map((s) => `${s.channel}@${String(Date.parse(s.at) - T0.getTime())}`)).toEqual([
      'websocket@0',
      `webpush@${String(30 * SECOND)}`,
      `email@${String(15 * MINUTE)}`,
    ]);
    await ok(w.commands.acknowledge(ctx('bob', w.now()), [mid], 'read'));
    w.clock.advance(30 * SECOND);
    await w.reactors.settle();
    w.clock.advance(15 * MINUTE);
    await w.reactors.settle();
    expect(sent(w)).toEqual([]);
    expect(await lastFact(stepKey({ mid, uid: 'bob', channel: 'webpush', deviceId: device }))).toMatchObject({
      reason: 'read',
    });
    expect(await lastFact(stepKey({ mid, uid: 'bob', channel: 'email' }))).toMatchObject({
      reason: 'read',
    });
  });
  it('who has not looked after the push delay gets the push', async () => {
    w = world();
    await bobWithBrowserAndEmail();
    w.presence.online.add('bob');
    const mid = await send();
    await w.reactors.settle();
    w.clock.advance(30 * SECOND - 1);
    await w.reactors.settle();
    expect(sent(w)).toEqual([]);
    // Not sent because it is not due yet: its timer is the next one, at the push delay.
    expect(nextDue()).toBe(at(30 * SECOND));
    expect(await skipsOf(mid)).toEqual([]);
    w.clock.advance(1);
    await w.reactors.settle();
    expect(sent(w)).toEqual(['webpush:bob']);
  });
  it('who read the message while the broker was down is not pushed when it comes back', async () => {
    w = world();
    await bobWithBrowserAndEmail();
    w.presence.online.add('bob');
    const mid = await send();
    await w.reactors.settle();
    await w.crash();
    const store = createSqliteEventStore({ file: join(w.dir, 'events.db') });
    const offline = createCommands({ store, ids });
    // A backlog of several pages, so the folds take a while to reach bob's receipt.
    await Promise.all(
      Array.from({ length: 1_500 }, (_, i) =>
        ok(offline.acknowledge(ctx(`other-${String(i)}`, w.now()), [mid], 'delivered')),
      ),
    );
    await ok(offline.acknowledge(ctx('bob', w.now()), [mid], 'read'));
    await store.close();
    w.clock.advance(30 * SECOND);
    await w.restart();
    await w.reactors.settle();
    expect(sent(w)).toEqual([]);
    // The push came due after the restart and was skipped because of the receipt in the backlog.
    expect(await skipsOf(mid)).toEqual(['webpush:read']);
    expect(nextDue()).toBe(at(15 * MINUTE));
  });
});

describe('an offline recipient with a web push subscription', () => {
  it('gets the push at once and the email after the nearline delay', async () => {
    w = world();
    const device = await bobWithBrowserAndEmail();
    const mid = await send();
    await w.reactors.settle();
    expect(sent(w)).toEqual(['webpush:bob']);
    w.clock.advance(15 * MINUTE - 1);
    await w.reactors.settle();
    expect(sent(w)).toEqual(['webpush:bob']);
    expect(nextDue()).toBe(at(15 * MINUTE));
    w.clock.advance(1);
    await w.reactors.settle();
    expect(sent(w)).toEqual(['email:bob', 'webpush:bob']);
    expect(w.channels.email.calls[0]?.to).toEqual({ channel: 'email', uid: 'bob', address: 'bob@example.org' });
    expect(await unitTypes(w, stepKey({ mid, uid: 'bob', channel: 'webpush', deviceId: device }))).toEqual([
      'DeliveryAttempted',
      'DeliverySucceeded',
    ]);
  });
  it('gets no email when the push was clicked before the delay', async () => {
    w = world();
    await bobWithBrowserAndEmail();
    const mid = await send();
    await w.reactors.settle();
    await ok(w.commands.acknowledge(ctx('bob', w.now()), [mid], 'clicked'));
    w.clock.advance(15 * MINUTE);
    await w.reactors.settle();
    expect(sent(w)).toEqual(['webpush:bob']);
    expect(await unitTypes(w, stepKey({ mid, uid: 'bob', channel: 'email' }))).toEqual(['DeliverySkipped']);
    expect(await skipsOf(mid)).toEqual(['email:read']);
  });
  it('nor after a last-read marker at or past the message', async () => {
    w = world();
    await bobWithBrowserAndEmail();
    const mid = await send();
    await w.reactors.settle();
    await ok(w.commands.markRead(ctx('bob', w.now()), mid));
    w.clock.advance(15 * MINUTE);
    await w.reactors.settle();
    expect(sent(w)).toEqual(['webpush:bob']);
    expect(await skipsOf(mid)).toEqual(['email:read']);
  });
});

describe('scheduled messages', () => {
  it('fire when due after a restart in between, exactly once', async () => {
    w = world();
    await bobWithBrowserAndEmail();
    const mid = await send({}, new Date(T0.getTime() + 60 * MINUTE));
    await w.reactors.settle();
    expect(sent(w)).toEqual([]);
    expect(w.reactors.status().find((s) => s.name === 'scheduler')?.nextDue).toBe(
      new Date(T0.getTime() + 60 * MINUTE).toISOString(),
    );
    await w.crash();
    w.clock.advance(2 * 60 * MINUTE); // due while the broker was down
    await w.restart();
    await w.reactors.settle();
    // Late, and the escalation counts from when the push went out, not from the due time.
    expect(sent(w)).toEqual(['webpush:bob']);
    expect(await types(w, triageStream(mid))).toEqual(['MessageDue', 'MessageTriaged']);
    w.clock.advance(15 * MINUTE);
    await w.reactors.settle();
    expect(sent(w)).toEqual(['email:bob', 'webpush:bob']);
    await w.crash();
    await w.restart();
    await w.reactors.settle();
    expect(sent(w)).toEqual([]); // new channels after the restart: nothing was sent again
    expect(await types(w, triageStream(mid))).toEqual(['MessageDue', 'MessageTriaged']);
    // Because each step's log says it is done: claimed once, succeeded once.
    for (const channel of ['webpush', 'email']) {
      const done = (await w.events()).filter(
        (e) =>
          (e.data as { mid?: string; channel?: string }).mid === mid &&
          (e.data as { channel?: string }).channel === channel,
      );
      expect(
        done.map((e) => e.type),
        channel,
      ).toEqual(['DeliveryAttempted', 'DeliverySucceeded']);
    }
  });
  it('are reported as upcoming until due, then as recent with their deliveries', async () => {
    w = world();
    await bobWithBrowserAndEmail();
    const later = await send({}, new Date(T0.getTime() + 60 * MINUTE));
    const sooner = await send({ urgency: 2 }, new Date(T0.getTime() + 30 * MINUTE));
    await w.reactors.settle();
    const r = w.reactors.reports;
    expect((await r.upcoming(10)).map((m) => [m.mid, m.scheduled, m.urgency])).toEqual([
      [sooner, new Date(T0.getTime() + 30 * MINUTE).toISOString(), 2],
      [later, new Date(T0.getTime() + 60 * MINUTE).toISOString(), 3],
    ]);
    w.clock.advance(30 * MINUTE);
    await w.reactors.settle();
    expect((await r.upcoming(10)).map((m) => m.mid)).toEqual([later]);
    expect(await r.recent(10)).toEqual([
      {
        mid: sooner,
        due: new Date(T0.getTime() + 30 * MINUTE).toISOString(),
        expiresAt: new Date(T0.getTime() + 30 * MINUTE + 3 * 24 * 60 * MINUTE).toISOString(),
        recipients: 1,
        batches: 1,
        steps: { pending: 1, claimed: 0, done: 1, skipped: 0, 'given-up': 0 },
      },
    ]);
  });
  it('a cancelled one never goes out', async () => {
    w = world();
    await bobWithBrowserAndEmail();
    const mid = await send({}, new Date(T0.getTime() + 60 * MINUTE));
    await w.reactors.settle();
    expect(nextDue()).toBe(at(60 * MINUTE));
    await ok(w.commands.cancel(admin(), mid));
    w.clock.advance(2 * 60 * MINUTE);
    await w.reactors.settle();
    expect(sent(w)).toEqual([]);
    // The decision is the MessageCancelled event; the scheduler dropped its timer for it, so no
    // MessageDue was ever written (triage records no event of its own for a message never due).
    expect(await types(w, `message-${mid}`)).toContain('MessageCancelled');
    expect(await types(w, triageStream(mid))).toEqual([]);
    expect(w.reactors.status().find((s) => s.name === 'scheduler')?.timers).toBe(0);
  });
});

describe('dispatch outcomes', () => {
  it('a device the provider reports gone is revoked and not tried again', async () => {
    w = world();
    await bobWithBrowserAndEmail();
    w.channels.webpush.answer = () => ({ kind: 'gone', reason: 'push subscription has expired (410)' });
    const mid = await send();
    await w.reactors.settle();
    expect(await types(w, 'user-bob')).toContain('DeviceRevoked');
    expect(
      await lastFact(
        stepKey({ mid, uid: 'bob', channel: 'webpush', deviceId: String((await lastData('user-bob')).deviceId) }),
      ),
    ).toMatchObject({ reason: 'push subscription has expired (410)' });
    await send();
    await w.reactors.settle();
    expect(w.channels.webpush.calls).toHaveLength(1);
  });
  it('a retryable failure is retried after Retry-After, across a restart, once', async () => {
    w = world();
    const device = await bobWithBrowserAndEmail();
    w.channels.webpush.answer = () => ({ kind: 'retry', afterMs: 60 * SECOND, reason: '429 Too Many Requests' });
    const mid = await send();
    await w.reactors.settle();
    const key = stepKey({ mid, uid: 'bob', channel: 'webpush', deviceId: device });
    expect(await unitTypes(w, key)).toEqual(['DeliveryAttempted', 'DeliveryFailed', 'DeliveryRetryScheduled']);
    expect(await lastFact(key)).toMatchObject({ attempt: 1, afterMs: 60 * SECOND });
    await w.crash();
    await w.restart();
    w.clock.advance(60 * SECOND - 1);
    await w.reactors.settle();
    expect(w.channels.webpush.calls).toHaveLength(0);
    w.clock.advance(1);
    await w.reactors.settle();
    expect(w.channels.webpush.calls.map((c) => c.attempt)).toEqual([1]);
    expect(await unitTypes(w, key)).toEqual([
      'DeliveryAttempted',
      'DeliveryFailed',
      'DeliveryRetryScheduled',
      'DeliveryAttempted',
      'DeliverySucceeded',
    ]);
  });
  it('a newer message with the same collapse key replaces the pending email of the older one', async () => {
    w = world();
    await bobWithBrowserAndEmail();
    const older = await send({ collapse: 'score' });
    await w.reactors.settle();
    w.clock.advance(5 * MINUTE);
    const newer = await send({ collapse: 'score' });
    await w.reactors.settle();
    w.clock.advance(15 * MINUTE);
    await w.reactors.settle();
    expect(w.channels.email.calls.map((c) => c.mids)).toEqual([[newer]]);
    expect(await lastFact(stepKey({ mid: older, uid: 'bob', channel: 'email' }))).toMatchObject({
      reason: 'collapsed',
    });
  });
  it('nothing is delivered after opts.ttl', async () => {
    w = world();
    await bobWithBrowserAndEmail();
    w.channels.webpush.answer = () => ({ kind: 'retry', afterMs: 0, reason: '503' });
    const mid = await send({ ttl: 1 });
    await w.reactors.settle();
    expect(sent(w)).toEqual(['webpush:bob']);
    expect(await types(w, triageStream(mid))).toEqual(['MessageTriaged']);
    const webpush = (await w.events('DeliveryGivenUp'))[0]?.data;
    expect(webpush).toMatchObject({ reason: '503 (the message expires before the next attempt)' });
    w.clock.advance(15 * MINUTE);
    await w.reactors.settle();
    expect(sent(w)).toEqual(['webpush:bob']);
    // The email step was never planned: the plan for bob holds the push alone.
    const plan = (await w.events('MessageTriaged'))[0]?.data as { recipients: { steps: { channel: string }[] }[] };
    expect(plan.recipients.flatMap((r) => r.steps.map((st) => st.channel))).toEqual(['webpush']);
  });
});

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
