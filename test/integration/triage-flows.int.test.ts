import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteEventStore } from '../../adapters/eventstore/sqlite.js';
import { createCommands } from '../../commands/index.js';
import { stepKey, triageStream } from '../../domain/triage/keys.js';
import { MINUTE, SECOND, T0, ctx, ok, sent, types, unitTypes, world } from './triage-harness.js';
import type { World } from './triage-harness.js';
import { flowHelpers } from './triage-flow-helpers.js';

// Triage, dispatch and the scheduler on the embedded log, with a fixed clock: the flows of
// issue 6, asserted at the recording channels and in the log.
let w: World;
afterEach(async () => {
  await w.close();
});

const { ids, admin, bobWithBrowserAndEmail, send, lastData, lastFact, skipsOf, nextDue, at } = flowHelpers(() => w);

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
