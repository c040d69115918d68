import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../../adapters/clock/clock.js';
import { createMemoryEventStore } from '../../../adapters/eventstore/memory.js';
import { reactorAppend } from '../../../delivery/append.js';
import { EventMetadata } from '../../../schema/metadata.js';
import { asMessageId, asThreadId } from '../../../schema/ids.js';
import { ctxFor, expectError, NOW, rightOf, setup } from './support.js';

// Every writer goes through the write gateway (commands/gateway.ts): commands, the delivery
// reactors and the websocket check-in all leave the same metadata shape in the log.
const tally = (uid: string) => ({ uid, sessions: 1, opened: 1, closed: 0, onlineMs: 500 });
const TO = new Date(NOW.getTime() + 60_000);

describe('the write gateway', () => {
  it("stamps a command's events with its caller, time, correlation and idempotency key", async () => {
    const { memory, commands } = setup();
    rightOf(await commands.createThread(ctxFor('ann', { idempotencyKey: 'k1' }), { tid: asThreadId('t1') }));
    const [created] = await memory.read('thread-t1');
    expect(created?.metadata).toMatchObject({
      occurredAt: NOW.toISOString(),
      actor: { uid: 'ann', roles: [] },
      correlationId: 'corr-ann',
      causationId: 'corr-ann',
      idempotencyKey: 'k1',
    });
    expect(EventMetadata.is(created?.metadata)).toBe(true);
  });

  it('records a check-in as the node, in its own stream, at the end of the interval', async () => {
    const { memory, commands } = setup();
    const r = rightOf(await commands.checkIn({ node: 'n1', from: NOW, to: TO, users: [tally('ann'), tally('bob')] }));
    const events = await memory.read('presence-n1');
    expect(events.map((e) => e.type)).toEqual(['UsersCheckedIn']);
    expect(r.position).toBe(events[0]?.position);
    expect(events[0]?.data).toEqual({
      node: 'n1',
      from: NOW.toISOString(),
      to: TO.toISOString(),
      users: [tally('ann'), tally('bob')],
    });
    expect(events[0]?.metadata).toMatchObject({
      occurredAt: TO.toISOString(),
      actor: { uid: 'node:n1', roles: ['system'] },
      correlationId: `checkin:n1:${TO.toISOString()}`,
      causationId: `checkin:n1:${TO.toISOString()}`,
    });
    expect(EventMetadata.is(events[0]?.metadata)).toBe(true);
  });

  it('splits a check-in into events of at most 1,000 users, and appends nothing for none', async () => {
    const { memory, commands } = setup();
    const users = Array.from({ length: 2_001 }, (_, i) => tally(`u${i}`));
    rightOf(await commands.checkIn({ node: 'n1', from: NOW, to: TO, users }));
    const sizes = (await memory.read('presence-n1')).map((e) => (e.data as { users: unknown[] }).users.length);
    expect(sizes).toEqual([1000, 1000, 1]);
    rightOf(await commands.checkIn({ node: 'n2', from: NOW, to: TO, users: [] }));
    expect(await memory.read('presence-n2')).toEqual([]);
  });

  it('refuses a check-in the log could not read back, appending nothing', async () => {
    const { memory, commands } = setup();
    expectError(
      await commands.checkIn({ node: 'n1', from: NOW, to: TO, users: [tally('not a user id/')] }),
      'invalid',
      'EventIsOutOfBounds',
    );
    expect(await memory.read('presence-n1')).toEqual([]);
  });

  it("stamps a reactor's events as the reactor, with ids derived from stream and revision", async () => {
    const store = createMemoryEventStore();
    const append = reactorAppend(store, fixedClock(NOW));
    const due = { type: 'MessageDue' as const, data: { mid: asMessageId('m1'), due: TO.toISOString() } };
    await append('triage-m1', [due], -1, { correlationId: 'corr-1', causationId: 'message-m1@0' });
    const [e] = await store.read('triage-m1');
    expect(e?.metadata).toEqual({
      eventId: 'triage-m1@0',
      occurredAt: NOW.toISOString(),
      actor: { uid: 'msgxc-reactor', roles: ['system', 'admin'] },
      correlationId: 'corr-1',
      causationId: 'message-m1@0',
    });
  });
});
